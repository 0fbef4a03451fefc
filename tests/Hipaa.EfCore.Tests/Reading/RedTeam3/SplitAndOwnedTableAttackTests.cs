using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam3;

/// <summary>
/// A PHI entity keeps values in more tables than its main one: a fragment of entity splitting (the intake's SSN in
/// <c>IntakeSecrets</c>) and the table of an owned collection (a resident's contacts in <c>ResidentContacts</c>). Neither
/// counted as a PHI table: raw SQL naming them ran without an access context, undecided, and left no record.
/// </summary>
public abstract class SplitAndOwnedTableAttackTests(string provider) : WardFixture(provider)
{
    [Theory]
    [InlineData("IntakeSecrets", "Ssn")]
    [InlineData("ResidentContacts", "Phone")]
    public async Task SqlQuery_OfASplitOrOwnedTable_WithoutAnAccessContext_IsRefused(string table, string column)
    {
        using var host = Enforcing();
        await using var db = host.CreateContext();
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => db.Database.SqlQueryRaw<string>(Select(table, column)).ToListAsync());

        Assert.Contains("access context", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("IntakeSecrets", "Ssn")]
    [InlineData("ResidentContacts", "Phone")]
    public async Task SqlQuery_OfASplitOrOwnedTable_IsDecidedAndRecordedAsAReadOfTheOwnersCategory(string table, string column)
    {
        using var host = Enforcing();
        var reads = await ReadAsync(host, Billing, db => db.Database.SqlQueryRaw<string>(Select(table, column)).ToListAsync(), values => Assert.Single(values));

        var read = Assert.Single(reads);
        Assert.Equal((AuditAction.Read, null, "Demographics", 1), (read.Action, read.PatientId, read.Categories, read.RowCount));
    }

    [Fact]
    public async Task ExecuteSql_UpdatingTheSplitTable_IsRecordedPerPatient()
    {
        using var host = Enforcing();
        var sql = IsSqlite ? "UPDATE IntakeSecrets SET Ssn = '000-00-0000'" : "UPDATE \"IntakeSecrets\" SET \"Ssn\" = '000-00-0000'";
        var writes = await ReadAsync(host, AccessContext.ForSystem("ssn-scrub", Hipaa.Policy.PurposeOfUse.Operations), db => db.Database.ExecuteSqlRawAsync(sql), rows => Assert.Equal(1, rows));

        Assert.Equal([(AuditAction.Update, Guardian.ToString())], writes.Select(w => (w.Action, w.PatientId!)));
    }

    private string Select(string table, string column) =>
        IsSqlite ? $"SELECT {column} AS Value FROM {table}" : $"SELECT \"{column}\" AS \"Value\" FROM \"{table}\"";
}

public sealed class SqliteSplitAndOwnedTableAttackTests() : SplitAndOwnedTableAttackTests("sqlite");

public sealed class PostgresSplitAndOwnedTableAttackTests() : SplitAndOwnedTableAttackTests("postgres");
