using Hipaa.Auditing;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam;

/// <summary>
/// Raw SQL written to slip past the tokenizer: spellings of a PHI table the database reads as that table but a reader
/// of the text might not (aliases, CTEs, schema qualifiers, case, brackets, string literals, comments, several
/// statements), and the places where the tokenizer and the database disagree about what is a comment or a name.
/// A read is recorded unattributed with its rows; a write as the write it is.
/// </summary>
public abstract class RawSqlAttackTests(string provider) : RedTeamFixture(provider)
{
    public static TheoryData<string, string> Reads => new()
    {
        { "SELECT v.Text AS Value FROM Visits AS v", "SELECT v.\"Text\" AS \"Value\" FROM \"Visits\" AS v" },
        { "WITH notes(t) AS (SELECT Text FROM Visits) SELECT t AS Value FROM notes", "WITH notes(t) AS (SELECT \"Text\" FROM \"Visits\") SELECT t AS \"Value\" FROM notes" },
        { "SELECT Text AS Value FROM main.vIsItS", "SELECT \"Text\" AS \"Value\" FROM public.\"Visits\"" },
        { "SELECT Text AS Value FROM [Visits]", "SELECT \"Text\" AS \"Value\" FROM \"public\"/* a comment */.\"Visits\"" },
        { "SELECT Text AS Value FROM/**/`VISITS`", "SELECT \"Text\" AS \"Value\" FROM/* nested /* comment */ */\"Visits\"" },
        { "SELECT Text AS Value FROM 'Visits'", "SELECT \"Text\" AS \"Value\" FROM ONLY \"Visits\"" },
        { "SELECT Text AS Value FROM ('Visits')", "SELECT \"Text\" AS \"Value\" FROM (\"Visits\" CROSS JOIN \"Clinics\")" },
        { "SELECT Text AS Value FROM ((('Visits' AS v)))", "SELECT \"Text\" AS \"Value\" FROM ((\"Visits\" AS v CROSS JOIN \"Clinics\"))" },
        { "SELECT Text AS Value FROM 'main'.'Visits'", "SELECT \"Text\" AS \"Value\" FROM \"Visits\" -- a trailing comment" },
        { "SELECT Text AS Value FROM Clinics, 'Visits'", "SELECT \"Text\" AS \"Value\" FROM \"Clinics\", \"Visits\"" },
        { "SELECT Text AS Value --\r\nFROM Visits", "SELECT \"Text\" AS \"Value\" --\rFROM \"Visits\"" },
        { "SELECT Text AS Value /* x */ FROM Visits", "SELECT \"Text\" AS \"Value\" --\u000b\rFROM \"Visits\"" },
        { "SELECT Text AS Value FROM Visits WHERE 'Clinics' <> '--' /* ' */", "SELECT \"Text\" AS \"Value\" FROM \"Visits\" WHERE $$--$$ <> E'\\'--'" },
    };

    [Theory]
    [MemberData(nameof(Reads))]
    public async Task SqlQueryRaw_AnySpellingOfAPhiTable_IsRecordedWithEveryRow(string sqlite, string postgres)
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(host, db => db.Database.SqlQueryRaw<string>(IsSqlite ? sqlite : postgres).ToListAsync(), rows => Assert.Equal(6, rows.Count));

        Assert.Empty(Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Visit", 6)], Unattributed(reads));
    }

    [Fact]
    public async Task SqlQueryRaw_SecondStatementReadingPhi_IsRecordedAsAnExecuteOfThatTable()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => db.Database.SqlQueryRaw<string>(IsSqlite ? "SELECT 'x' AS Value; SELECT Text AS Value FROM Visits" : "SELECT 'x' AS \"Value\"; SELECT \"Text\" AS \"Value\" FROM \"Visits\"").ToListAsync(),
            rows => Assert.Equal(["x"], rows));

        Assert.Equal([(AuditAction.Execute, "Visit", 0)], Unattributed(reads).Select(r => (r.Action, r.Entity, 0)));
    }

    [Fact]
    public async Task ExecuteSqlRaw_UpdateOfAPhiTableNamedByAStringLiteral_IsRecordedPerPatient()
    {
        if (!IsSqlite)
        {
            return; // a string literal names a table only on SQLite
        }

        using var host = new ShapesHost(Database);
        var writes = await ReadAsync(host, db => db.Database.ExecuteSqlRawAsync("UPDATE OR ROLLBACK 'Visits' SET Minutes = Minutes + 1"), rows => Assert.Equal(6, rows));

        Assert.Equal([("Visit", A), ("Visit", B), ("Visit", C)], Attributed(writes));
        Assert.All(writes, w => Assert.Equal((AuditAction.Update, 2), (w.Action, w.RowCount)));
    }

    [Fact]
    public async Task ExecuteSqlRaw_DeleteBehindACarriageReturnEndedComment_IsRecordedAsAnExecute()
    {
        // PostgreSQL ends a -- comment at \r as well as \n: the DELETE runs.
        using var host = new ShapesHost(Database);
        var sql = IsSqlite ? "SELECT 1; --\nDELETE FROM Visits WHERE MemberId = {0}" : "SELECT 1; --\rDELETE FROM \"Visits\" WHERE \"MemberId\" = {0}";
        var writes = await ReadAsync(host, db => db.Database.ExecuteSqlRawAsync(sql, ShapesHost.C), rows => Assert.Equal(2, rows));

        var write = Assert.Single(writes);
        Assert.Equal((AuditAction.Execute, "Visit"), (write.Action, write.Entity));
        Assert.Equal(4, await RemainingVisitsAsync(host));
    }

    [Fact]
    public async Task SqlQueryRaw_FetchFromACursorOverPhi_IsRecorded()
    {
        if (IsSqlite)
        {
            return; // SQLite has no cursors
        }

        using var host = new ShapesHost(Database);
        var before = host.Records().Count;
        List<string> texts;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            await using var transaction = await context.Database.BeginTransactionAsync();
            await context.Database.ExecuteSqlRawAsync("DECLARE notes CURSOR FOR SELECT \"Text\" AS \"Value\" FROM \"Visits\"");
            var declared = host.Records().Count;
            texts = await context.Database.SqlQueryRaw<string>("FETCH ALL FROM notes").ToListAsync();
            await transaction.CommitAsync();
            Assert.True(host.Records().Count > declared, "the FETCH was recorded");
        }

        Assert.Equal(6, texts.Count);
        var records = host.Records().Skip(before).ToList();
        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.Equal((AuditAction.Execute, (string?)null), (r.Action, r.PatientId)));
        Assert.Contains("Visit", records[1].Entity, StringComparison.Ordinal);
    }

    private static async Task<int> RemainingVisitsAsync(ShapesHost host)
    {
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            return await context.Visits.AsNoTracking().CountAsync();
        }
    }
}

public sealed class SqliteRawSqlAttackTests() : RawSqlAttackTests("sqlite");

public sealed class PostgresRawSqlAttackTests() : RawSqlAttackTests("postgres");
