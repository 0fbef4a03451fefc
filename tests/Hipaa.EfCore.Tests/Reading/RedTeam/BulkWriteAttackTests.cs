using Hipaa.Auditing;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam;

/// <summary>
/// ExecuteUpdate and ExecuteDelete reaching their rows through navigations, owned types, and updates that move rows from
/// one patient to another: each is recorded per patient whose rows it changed, in the write's transaction.
/// </summary>
public abstract class BulkWriteAttackTests(string provider) : RedTeamFixture(provider)
{
    [Fact]
    public async Task ExecuteDelete_FilteredThroughANavigation_IsRecordedForThePatientsDeleted()
    {
        using var host = new ShapesHost(Database);
        var writes = await ReadAsync(host, db => db.Visits.Where(v => v.Member!.Name == "Bea").ExecuteDeleteAsync(), n => Assert.Equal(2, n));

        var write = Assert.Single(writes);
        Assert.Equal((AuditAction.Delete, "Visit", B, 2), (write.Action, write.Entity, write.PatientId, write.RowCount));
    }

    [Fact]
    public async Task ExecuteUpdate_OfAnOwnedProperty_IsRecordedForEachOwner()
    {
        using var host = new ShapesHost(Database);
        var writes = await ReadAsync(host, db => db.Members.Where(m => m.Home != null).ExecuteUpdateAsync(s => s.SetProperty(m => m.Home!.City, "Shelbyville")), n => Assert.Equal(2, n));

        Assert.Equal([("Member", A), ("Member", B)], Attributed(writes));
        Assert.All(writes, w => Assert.Equal((AuditAction.Update, 1), (w.Action, w.RowCount)));
    }

    [Fact]
    public async Task ExecuteUpdate_MovingRowsToAnotherPatient_IsRecordedUnattributedNotAgainstTheNewPatientOnly()
    {
        using var host = new ShapesHost(Database);
        var writes = await ReadAsync(host, db => db.Visits.Where(v => v.MemberId == ShapesHost.A).ExecuteUpdateAsync(s => s.SetProperty(v => v.MemberId, ShapesHost.B)), n => Assert.Equal(2, n));

        // RETURNING would give B only, though the rows were A's: recorded without a patient, with the table and row count.
        Assert.Empty(Attributed(writes));
        Assert.Equal([(AuditAction.Update, "Visit", 2)], Unattributed(writes));
    }
}

public sealed class SqliteBulkWriteAttackTests() : BulkWriteAttackTests("sqlite");

public sealed class PostgresBulkWriteAttackTests() : BulkWriteAttackTests("postgres");
