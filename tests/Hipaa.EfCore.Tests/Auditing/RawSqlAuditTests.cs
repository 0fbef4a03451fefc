using System.Data.Common;
using Hipaa.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Auditing;

/// <summary>
/// Raw SQL fails closed: whatever spelling a statement uses for a PHI table (unquoted, any case, schema-qualified,
/// bracketed, behind comments, in a CTE, next to a literal that names another table), a read is recorded, a write is
/// recorded as the write it is — per patient where the statement's target is knowable — in the write's own transaction.
/// Seeded data: patient A has notes and one lab result; patient B has note B-1 and two lab results.
/// </summary>
public abstract class RawSqlAuditTests : IDisposable
{
    private readonly TestDatabase _database;

    protected RawSqlAuditTests(string provider)
    {
        Provider = provider;
        _database = TestDatabase.Create(provider);
    }

    protected string Provider { get; }

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData("SELECT value AS Value FROM lab_results", "SELECT value AS \"Value\" FROM lab_results", "LabResult")]
    [InlineData("select VALUE as Value from LAB_RESULTS", "select VALUE as \"Value\" from LAB_RESULTS", "LabResult")]
    [InlineData("SELECT value AS Value FROM main.lab_results", "SELECT value AS \"Value\" FROM public.lab_results", "LabResult")]
    [InlineData("SELECT value AS Value FROM MAIN.Lab_Results", "SELECT value AS \"Value\" FROM PUBLIC.\"lab_results\"", "LabResult")]
    [InlineData("SELECT value AS Value FROM [lab_results]", "SELECT value AS \"Value\" FROM \"public\".\"lab_results\"", "LabResult")]
    [InlineData("SELECT value AS Value FROM `lab_results`", "SELECT value AS \"Value\" FROM \"public\" . lab_results", "LabResult")]
    [InlineData("SELECT value AS Value FROM 'lab_results'", "SELECT value AS \"Value\" FROM /* the table */ lab_results -- end", "LabResult")]
    [InlineData("SELECT DisplayName AS Value FROM Patients", "SELECT \"DisplayName\" AS \"Value\" FROM public.\"Patients\"", "Patient")]
    [InlineData("SELECT Title AS Value FROM notes", "SELECT \"Title\" AS \"Value\" FROM \"Notes\" AS \"a\"\"b\"", "Note")]
    [InlineData("WITH x AS (SELECT value FROM lab_results) SELECT value AS Value FROM x", "WITH x AS (SELECT value FROM lab_results) SELECT value AS \"Value\" FROM x", "LabResult")]
    [InlineData("SELECT value AS Value FROM lab_results WHERE value <> 'it''s -- \"Notes\"; DELETE'", "SELECT value AS \"Value\" FROM lab_results WHERE value <> 'it''s -- \"Notes\"; DELETE'", "LabResult")]
    public async Task SqlQueryRaw_AnySpellingOfAPhiTable_IsRecordedAsAnUnattributedRead(string sqlite, string postgres, string entity)
    {
        using var host = new AuditHost(_database);
        using var scope = AccessContext.Begin(AuditHost.Therapist());
        await SeedAsync(host);
        var sql = Pick(sqlite, postgres);
        var before = host.Records().Count;
        await using (var context = host.CreateContext())
        {
            Assert.Equal(RowsOf(entity), (await context.Database.SqlQueryRaw<string>(sql).ToListAsync()).Count);
        }

        var read = Assert.Single(host.Records().Skip(before));
        Assert.Equal((AuditAction.Read, entity, null, RowsOf(entity)), (read.Action, read.Entity, read.PatientId, read.RowCount));
        Assert.Equal(64, read.QueryFingerprint!.Length); // of the command text EF Core sent (it appends a line break)
    }

    [Fact]
    public async Task FromSqlRaw_UnquotedTableComposedIntoAProjection_IsRecordedPerPatient()
    {
        using var host = new AuditHost(_database);
        using var scope = AccessContext.Begin(AuditHost.Therapist());
        await SeedAsync(host);
        var before = host.Records().Count;
        await using (var context = host.CreateContext())
        {
            // EF Core wraps the SQL: SELECT l.value FROM (SELECT * FROM lab_results) AS l — no entity is materialized.
            var values = await context.LabResults.FromSqlRaw("SELECT * FROM lab_results").Select(l => l.Value).ToListAsync();
            Assert.Equal(3, values.Count);
        }

        // The projection's values are read from their entities (ProjectionAttributionInterceptor): one record per patient.
        var reads = host.Records().Skip(before).ToList();
        Assert.NotEmpty(reads);
        Assert.All(reads, r => Assert.Equal((AuditAction.Read, "LabResult"), (r.Action, r.Entity)));
        Assert.DoesNotContain(reads, r => r.PatientId is null);
        Assert.Equal(reads.Count, reads.Select(r => r.PatientId).Distinct().Count());
    }

    [Fact]
    public async Task FromSqlRaw_UnquotedTableOfEntitiesAlreadyTracked_IsCoveredByTheFirstRead()
    {
        using var host = new AuditHost(_database);
        using var scope = AccessContext.Begin(AuditHost.Therapist());
        await SeedAsync(host);
        await using var context = host.CreateContext();
        var first = host.Records().Count;
        Assert.Equal(3, (await context.LabResults.ToListAsync()).Count);
        var before = host.Records().Count;

        Assert.Equal(3, (await context.LabResults.FromSqlRaw("select * from LAB_RESULTS").ToListAsync()).Count);

        // Every row resolved to an entity this context read (and recorded, per patient) for this same access context.
        Assert.Empty(host.Records().Skip(before));
        Assert.All(host.Records().Skip(first), r => Assert.Equal((AuditAction.Read, "LabResult", "u-ther-1"), (r.Action, r.Entity, r.ActorId)));
        Assert.DoesNotContain(host.Records().Skip(first), r => r.PatientId is null);
    }

    [Fact]
    public async Task FromSqlRaw_UnquotedTableOfNewEntities_IsRecordedPerPatient()
    {
        using var host = new AuditHost(_database);
        using var scope = AccessContext.Begin(AuditHost.Therapist());
        var (a, b) = await SeedAsync(host);
        var before = host.Records().Count;
        await using (var context = host.CreateContext())
        {
            var rows = await context.LabResults.FromSqlRaw("SELECT * FROM lab_results").Where(l => l.Analyte != "none").AsNoTracking().ToListAsync();
            Assert.Equal(3, rows.Count);
        }

        Assert.Equal(
            [(AuditAction.Read, "LabResult", a.Id.ToString()), (AuditAction.Read, "LabResult", b.Id.ToString())],
            host.Records().Skip(before).Select(r => (r.Action, r.Entity, r.PatientId)).OrderBy(r => r.PatientId == b.Id.ToString()));
    }

    [Theory]
    [InlineData("UPDATE lab_results SET value = 'x'", "UPDATE lab_results SET value = 'x'", AuditAction.Update, "LabResult")]
    [InlineData("update LAB_RESULTS set VALUE = 'x'", "update LAB_RESULTS set VALUE = 'x'", AuditAction.Update, "LabResult")]
    [InlineData("UPDATE main.lab_results SET value = 'x'", "UPDATE public.lab_results SET value = 'x'", AuditAction.Update, "LabResult")]
    [InlineData("UPDATE [lab_results] SET [value] = 'x'", "UPDATE \"public\".\"lab_results\" SET value = 'x'", AuditAction.Update, "LabResult")]
    [InlineData("UPDATE `lab_results` SET value = 'x'", "UPDATE PUBLIC.LAB_RESULTS SET value = 'x'", AuditAction.Update, "LabResult")]
    [InlineData("UPDATE Notes SET Title = 'x'", "UPDATE public.\"Notes\" SET \"Title\" = 'x'", AuditAction.Update, "Note")]
    [InlineData("UPDATE \"Notes\" SET \"Title\" = 'x' -- trailing comment", "UPDATE \"Notes\" SET \"Title\" = 'x' -- trailing comment", AuditAction.Update, "Note")]
    [InlineData("UPDATE \"Notes\" SET \"Title\" = 'x' /* trailing */", "UPDATE \"Notes\" SET \"Title\" = 'x' /* trailing */", AuditAction.Update, "Note")]
    [InlineData("/* leading */ UPDATE \"Notes\" SET \"Title\" = 'x'", "/* leading */ UPDATE \"Notes\" SET \"Title\" = 'x'", AuditAction.Update, "Note")]
    [InlineData("-- leading\nUPDATE \"Notes\" SET \"Title\" = 'x';", "-- leading\nUPDATE \"Notes\" SET \"Title\" = 'x';", AuditAction.Update, "Note")]
    [InlineData("UPDATE \"Notes\" SET \"Title\" = 'x'; -- done\n", "UPDATE \"Notes\" SET \"Title\" = 'x'; -- done\n", AuditAction.Update, "Note")]
    [InlineData("UPDATE \"Notes\" SET \"Title\" = 'x' ;  \n\t", "UPDATE \"Notes\" SET \"Title\" = 'x' ;  \n\t", AuditAction.Update, "Note")]
    [InlineData("UPDATE \"Notes\" SET \"Title\" = '-- not a comment; \"Patients\"'", "UPDATE \"Notes\" SET \"Title\" = '-- not a comment; \"Patients\"'", AuditAction.Update, "Note")]
    [InlineData("WITH a AS (SELECT \"Id\" FROM \"Patients\") UPDATE \"Notes\" SET \"Title\" = 'x' WHERE \"PatientId\" IN (SELECT \"Id\" FROM a)", "WITH a AS (SELECT \"Id\" FROM \"Patients\") UPDATE \"Notes\" SET \"Title\" = 'x' WHERE \"PatientId\" IN (SELECT \"Id\" FROM a)", AuditAction.Update, "Note")]
    [InlineData("DELETE FROM lab_results", "DELETE FROM lab_results", AuditAction.Delete, "LabResult")]
    [InlineData("delete from \"lab_results\" -- all of them", "delete from \"lab_results\" -- all of them", AuditAction.Delete, "LabResult")]
    public async Task ExecuteSqlRaw_AnySpellingOfAPhiTable_IsRecordedPerPatientWithRowCounts(string sqlite, string postgres, AuditAction action, string entity)
    {
        using var host = new AuditHost(_database);
        using var scope = AccessContext.Begin(AuditHost.Therapist());
        var (a, b) = await SeedAsync(host);
        var before = host.Records().Count;
        await using (var context = host.CreateContext())
        {
            Assert.Equal(RowsOf(entity), await context.Database.ExecuteSqlRawAsync(Pick(sqlite, postgres)));
        }

        var (ofA, ofB) = entity == "Note" ? (2, 1) : (1, 2);
        Assert.Equal(
            [(action, entity, a.Id.ToString(), ofA), (action, entity, b.Id.ToString(), ofB)],
            host.Records().Skip(before).Select(r => (r.Action, r.Entity, r.PatientId, r.RowCount)).OrderBy(r => r.PatientId == b.Id.ToString()));
    }

    [Theory]
    [InlineData("UPDATE \"Notes\" SET \"Title\" = 'x' RETURNING 1 AS Value", "UPDATE \"Notes\" SET \"Title\" = 'x' RETURNING 1 AS \"Value\"", AuditAction.Update, "Note", 3, 3)]
    [InlineData("update lab_results set value = 'x' returning 1 as Value", "update lab_results set value = 'x' returning 1 as \"Value\"", AuditAction.Update, "LabResult", 3, 3)]
    [InlineData("DELETE FROM lab_results RETURNING 1 AS Value", "DELETE FROM lab_results RETURNING 1 AS \"Value\"", AuditAction.Delete, "LabResult", 3, 3)]
    [InlineData("INSERT INTO lab_results (id, patient_id, analyte, value) VALUES ('0f8fad5b-d9cb-469f-a165-70867728950e', '7c9e6679-7425-40de-944b-e07fc1f90ae7', 'ldl', '1') RETURNING 1 AS Value", "INSERT INTO lab_results (id, patient_id, analyte, value) VALUES ('0f8fad5b-d9cb-469f-a165-70867728950e', '7c9e6679-7425-40de-944b-e07fc1f90ae7', 'ldl', '1') RETURNING 1 AS \"Value\"", AuditAction.Create, "LabResult", 1, 1)]
    [InlineData("SELECT 1 AS Value; DELETE FROM lab_results", "SELECT 1 AS \"Value\"; DELETE FROM lab_results", AuditAction.Execute, "LabResult", 1, 3)]
    public async Task SqlQueryRaw_WriteThroughTheReadApi_IsRecordedAsTheWrite(string sqlite, string postgres, AuditAction action, string entity, int returned, int changed)
    {
        using var host = new AuditHost(_database);
        using var scope = AccessContext.Begin(AuditHost.Therapist());
        await SeedAsync(host);
        var sql = Pick(sqlite, postgres);
        var before = host.Records().Count;
        await using (var context = host.CreateContext())
        {
            Assert.Equal(returned, (await context.Database.SqlQueryRaw<int>(sql).ToListAsync()).Count);
        }

        var write = Assert.Single(host.Records().Skip(before));
        Assert.Equal((action, entity, null, changed), (write.Action, write.Entity, write.PatientId, write.RowCount));
        Assert.Equal(64, write.QueryFingerprint!.Length);
    }

    [Fact]
    public async Task SqlQueryRaw_WriteThroughTheReadApiSynchronously_IsRecordedAsTheWrite()
    {
        using var host = new AuditHost(_database);
        using var scope = AccessContext.Begin(AuditHost.Therapist());
        await SeedAsync(host);
        var before = host.Records().Count;
        await using (var context = host.CreateContext())
        {
            Assert.Equal(3, context.Database.SqlQueryRaw<int>(Pick("DELETE FROM Notes RETURNING 1 AS Value", "DELETE FROM \"Notes\" RETURNING 1 AS \"Value\"")).ToList().Count);
        }

        var write = Assert.Single(host.Records().Skip(before));
        Assert.Equal((AuditAction.Delete, "Note", null, 3), (write.Action, write.Entity, write.PatientId, write.RowCount));
        Assert.Equal(0, Count("SELECT COUNT(*) FROM \"Notes\""));
    }

    [Fact]
    public async Task FromSqlRaw_DeleteReturningEntities_IsRecordedAsADeleteAndAsReadsOfWhatItReturned()
    {
        using var host = new AuditHost(_database);
        using var scope = AccessContext.Begin(AuditHost.Therapist());
        var (a, _) = await SeedAsync(host);
        var before = host.Records().Count;
        await using (var context = host.CreateContext())
        {
            var deleted = await context.Notes.FromSqlRaw("DELETE FROM \"Notes\" WHERE \"Title\" LIKE 'A%' RETURNING *").AsNoTracking().ToListAsync();
            Assert.Equal(2, deleted.Count);
        }

        var records = host.Records().Skip(before).ToList();
        var delete = Assert.Single(records, r => r.Action == AuditAction.Delete);
        Assert.Equal(("Note", null, 2), (delete.Entity, delete.PatientId, delete.RowCount));
        var read = Assert.Single(records, r => r.Action == AuditAction.Read);
        Assert.Equal(("Note", a.Id.ToString()), (read.Entity, read.PatientId));
        Assert.Equal(2, records.Count);
        Assert.Equal(1, Count("SELECT COUNT(*) FROM \"Notes\""));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SqlQueryRaw_WriteInTheCallersTransaction_CommitsOrRollsBackWithItsRecord(bool commit)
    {
        using var host = new AuditHost(_database);
        using var scope = AccessContext.Begin(AuditHost.Therapist());
        await SeedAsync(host);
        var before = host.Records().Count;
        await using (var context = host.CreateContext())
        await using (var transaction = await context.Database.BeginTransactionAsync())
        {
            var sql = Pick("UPDATE \"Notes\" SET \"Title\" = 'x' RETURNING 1 AS Value", "UPDATE \"Notes\" SET \"Title\" = 'x' RETURNING 1 AS \"Value\"");
            Assert.Equal(3, (await context.Database.SqlQueryRaw<int>(sql).ToListAsync()).Count);
            if (commit)
            {
                await transaction.CommitAsync();
            }
            else
            {
                await transaction.RollbackAsync();
            }
        }

        var records = host.Records().Skip(before).ToList();
        if (commit)
        {
            var write = Assert.Single(records);
            Assert.Equal((AuditAction.Update, "Note", null, 3), (write.Action, write.Entity, write.PatientId, write.RowCount));
            Assert.Equal(3, Count("SELECT COUNT(*) FROM \"Notes\" WHERE \"Title\" = 'x'"));
        }
        else
        {
            Assert.Empty(records);
            Assert.Equal(0, Count("SELECT COUNT(*) FROM \"Notes\" WHERE \"Title\" = 'x'"));
        }
    }

    [Fact]
    public async Task SqlQueryRaw_WriteWhoseRecordCannotBeWritten_ChangesNothing()
    {
        using var host = new AuditHost(_database);
        using var scope = AccessContext.Begin(AuditHost.Therapist());
        await SeedAsync(host);
        _database.Execute("DROP TABLE \"hipaa_audit\"");
        await using (var context = host.CreateContext())
        {
            var sql = Pick("UPDATE Notes SET Title = 'x' RETURNING 1 AS Value", "UPDATE \"Notes\" SET \"Title\" = 'x' RETURNING 1 AS \"Value\"");
            await Assert.ThrowsAnyAsync<Exception>(() => context.Database.SqlQueryRaw<int>(sql).ToListAsync());
        }

        Assert.Equal(0, Count("SELECT COUNT(*) FROM \"Notes\" WHERE \"Title\" = 'x'"));
    }

    [Fact]
    public async Task ExecuteSqlRaw_MultipleStatements_AreRecordedAsExecuteOnEveryPhiTableTheyNameInOneTransaction()
    {
        using var host = new AuditHost(_database);
        using var scope = AccessContext.Begin(AuditHost.Therapist());
        await SeedAsync(host);
        var before = host.Records().Count;
        await using (var context = host.CreateContext())
        {
            await context.Database.ExecuteSqlRawAsync("SELECT 1; DELETE FROM lab_results; UPDATE \"Notes\" SET \"Title\" = 'x' WHERE 1 = 0");
        }

        var write = Assert.Single(host.Records().Skip(before));
        Assert.Equal((AuditAction.Execute, null), (write.Action, write.PatientId));
        Assert.Equal(["LabResult", "Note"], write.Entity.Split(',').Order());
        Assert.Equal(0, Count("SELECT COUNT(*) FROM lab_results"));
    }

    [Fact]
    public async Task ExecuteSqlRaw_MultipleStatementsWhoseRecordCannotBeWritten_ChangeNothing()
    {
        using var host = new AuditHost(_database);
        using var scope = AccessContext.Begin(AuditHost.Therapist());
        await SeedAsync(host);
        _database.Execute("DROP TABLE \"hipaa_audit\"");
        await using (var context = host.CreateContext())
        {
            await Assert.ThrowsAnyAsync<Exception>(() => context.Database.ExecuteSqlRawAsync("SELECT 1; DELETE FROM lab_results"));
        }

        Assert.Equal(3, Count("SELECT COUNT(*) FROM lab_results"));
    }

    [Fact]
    public async Task ExecuteUpdate_FilteredThroughANavigation_IsRecordedPerPatientOfTheTargetTable()
    {
        using var host = new AuditHost(_database);
        using var scope = AccessContext.Begin(AuditHost.Therapist());
        var (a, _) = await SeedAsync(host);
        var before = host.Records().Count;
        await using (var context = host.CreateContext())
        {
            Assert.Equal(2, await context.Notes.Where(n => n.Patient!.DisplayName == "A").ExecuteUpdateAsync(s => s.SetProperty(n => n.Title, "x")));
        }

        var write = Assert.Single(host.Records().Skip(before));
        Assert.Equal((AuditAction.Update, "Note", a.Id.ToString(), 2), (write.Action, write.Entity, write.PatientId, write.RowCount));
        Assert.Equal("ProgressNote", write.Categories);
    }

    [Fact]
    public async Task ExecuteDelete_FilteredThroughASubqueryOfAnotherPhiTable_IsRecordedPerPatientOfTheTargetTable()
    {
        using var host = new AuditHost(_database);
        using var scope = AccessContext.Begin(AuditHost.Therapist());
        var (_, b) = await SeedAsync(host);
        var before = host.Records().Count;
        await using (var context = host.CreateContext())
        {
            var deleted = context.LabResults.Where(l => context.Notes.Any(n => n.PatientId == l.PatientId && n.Title == "B-1")).ExecuteDelete();
            Assert.Equal(2, deleted);
            Assert.Equal(1, await context.Notes.Where(n => n.Patient!.DisplayName == "B").ExecuteDeleteAsync());
        }

        Assert.Equal(
            [(AuditAction.Delete, "LabResult", b.Id.ToString(), 2), (AuditAction.Delete, "Note", b.Id.ToString(), 1)],
            host.Records().Skip(before).Select(r => (r.Action, r.Entity, r.PatientId, r.RowCount)));
    }

    /// <summary>Patient A: notes and one lab result; patient B: note B-1 and two lab results.</summary>
    private protected static async Task<(Patient A, Patient B)> SeedAsync(AuditHost host)
    {
        var (a, b) = (NewPatient("A"), NewPatient("B"));
        await using var context = host.CreateContext();
        context.AddRange(a, b, NewNote(a, "A-1"), NewNote(a, "A-2"), NewNote(b, "B-1"));
        context.AddRange(NewLab(a, "glucose"), NewLab(b, "glucose"), NewLab(b, "hba1c"));
        await context.SaveChangesAsync();
        return (a, b);
    }

    protected static int RowsOf(string entity) => entity == "Patient" ? 2 : 3;

    protected string Pick(string sqlite, string postgres) => Provider == "postgres" ? postgres : sqlite;

    /// <summary>Creates a host over this test's database.</summary>
    private protected AuditHost NewHost() => new(_database);

    /// <summary>Counts with plain ADO.NET, bypassing the SDK (and its audit trail).</summary>
    protected int Count(string sql)
    {
        using var connection = _database.OpenConnection();
        using DbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static Patient NewPatient(string name) => new()
    {
        Id = Guid.NewGuid(),
        DisplayName = name,
        Mrn = "MRN-" + name + "-" + Guid.NewGuid().ToString("N")[..6],
        Ssn = "555-00-" + name.PadLeft(4, '0'),
    };

    private static Note NewNote(Patient patient, string title) => new()
    {
        Id = Guid.NewGuid(),
        PatientId = patient.Id,
        Title = title,
        Text = "Discussed sleep hygiene",
        Kind = NoteKind.Progress,
        WrittenAt = new DateTime(2026, 3, 2, 15, 0, 0, DateTimeKind.Utc),
        SignedAt = new DateTimeOffset(2026, 3, 2, 15, 0, 0, TimeSpan.Zero),
    };

    private static LabResult NewLab(Patient patient, string analyte) => new() { Id = Guid.NewGuid(), PatientId = patient.Id, Analyte = analyte, Value = "5.4" };
}

public sealed class SqliteRawSqlAuditTests() : RawSqlAuditTests("sqlite")
{
    [Fact]
    public async Task ExecuteSqlRaw_UpdateEndingInAnUnterminatedBlockComment_IsRecordedPerPatient()
    {
        // SQLite ends an unterminated /* comment at the end of the text instead of failing.
        using var host = NewHost();
        using var scope = AccessContext.Begin(AuditHost.Therapist());
        await SeedAsync(host);
        var before = host.Records().Count;
        await using (var context = host.CreateContext())
        {
            Assert.Equal(3, await context.Database.ExecuteSqlRawAsync("UPDATE lab_results SET value = 'x' /* no end"));
        }

        Assert.Equal([1, 2], host.Records().Skip(before).Select(r => r.RowCount).Order());
    }
}

public sealed class PostgresRawSqlAuditTests() : RawSqlAuditTests("postgres")
{
    [Theory]
    [InlineData("SELECT $$ \"Notes\" $$ AS \"Value\" FROM lab_results")]
    [InlineData("SELECT $tag$ it's; -- \"Notes\" $x$ $tag$ AS \"Value\" FROM lab_results")]
    [InlineData("SELECT E'\\' \"Notes\" ' AS \"Value\" FROM lab_results")]
    public async Task SqlQueryRaw_TableNamesInsideLiterals_AreNotReferences(string sql)
    {
        using var host = NewHost();
        using var scope = AccessContext.Begin(AuditHost.Therapist());
        await SeedAsync(host);
        var before = host.Records().Count;
        await using (var context = host.CreateContext())
        {
            Assert.Equal(3, (await context.Database.SqlQueryRaw<string>(sql).ToListAsync()).Count);
        }

        var read = Assert.Single(host.Records().Skip(before));
        Assert.Equal((AuditAction.Read, "LabResult", 3), (read.Action, read.Entity, read.RowCount));
    }

    [Fact]
    public async Task SqlQueryRaw_SelectWithADataModifyingCte_IsRecordedAsExecuteInItsTransaction()
    {
        using var host = NewHost();
        using var scope = AccessContext.Begin(AuditHost.Therapist());
        await SeedAsync(host);
        var before = host.Records().Count;
        await using (var context = host.CreateContext())
        {
            var counted = await context.Database.SqlQueryRaw<int>("WITH d AS (DELETE FROM lab_results RETURNING 1) SELECT count(*)::int AS \"Value\" FROM d").ToListAsync();
            Assert.Equal([3], counted);
        }

        var write = Assert.Single(host.Records().Skip(before));
        Assert.Equal((AuditAction.Execute, "LabResult", null), (write.Action, write.Entity, write.PatientId));
        Assert.Equal(0, Count("SELECT COUNT(*) FROM lab_results"));
    }

    [Fact]
    public async Task ExecuteSqlRaw_AnonymousCodeBlock_IsRecordedAsExecuteOnEveryPhiTable()
    {
        using var host = NewHost();
        using var scope = AccessContext.Begin(AuditHost.Therapist());
        await SeedAsync(host);
        var before = host.Records().Count;
        await using (var context = host.CreateContext())
        {
            await context.Database.ExecuteSqlRawAsync("DO $$ BEGIN DELETE FROM lab_results; END $$");
        }

        var write = Assert.Single(host.Records().Skip(before));
        Assert.Equal((AuditAction.Execute, null), (write.Action, write.PatientId));
        Assert.Equal(["AuditCheckpointEntry", "AuditEntry", "AuditPatientEntry", "Diagnosis", "LabResult", "Note", "Patient", "Prescription", "PsychotherapyNote"], write.Entity.Split(',').Order()); // the audit log too
        Assert.Equal(0, Count("SELECT COUNT(*) FROM lab_results"));
    }
}
