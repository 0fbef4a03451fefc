using Hipaa.Auditing;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam3;

/// <summary>
/// <c>ExecuteUpdate</c>, <c>ExecuteDelete</c> and <c>ExecuteSql</c> were audited but never decided by policy: billing, which
/// may write no diagnosis, copied each diagnosis' masked narrative into its visible code, deleted progress notes and
/// copied them into a table without PHI (or wrote through <c>SqlQuery</c>), and a therapist changed notes of patients off
/// their care team.
/// </summary>
public abstract class BulkWriteAttackTests(string provider) : WardFixture(provider)
{
    [Fact]
    public async Task ExecuteUpdate_CopyingTheMaskedNarrativeIntoTheVisibleCode_IsRefusedForBillingAndChangesNothing()
    {
        using var host = Enforcing();
        var writes = await ReadAsync(
            host,
            Billing,
            db => Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.Findings.ExecuteUpdateAsync(s => s.SetProperty(f => f.Code, f => f.Narrative))),
            denied => Assert.Equal("matrix.not-permitted", denied.Decision!.Rule.Id));

        Assert.Equal(["F32.1", "F32.1"], await ColumnAsync(db => db.Findings.Select(f => f.Code)));
        Assert.All(writes, w => Assert.Equal((AuditAction.Update, AuditOutcome.Denied), (w.Action, w.Outcome)));
        Assert.Equal([Guardian.ToString(), Child.ToString()], writes.Select(w => w.PatientId!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ExecuteDelete_OfProgressNotes_IsRefusedForBillingAndDeletesNothing()
    {
        using var host = Enforcing();
        await ReadAsync(host, Billing, db => Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.SessionNotes.ExecuteDeleteAsync()), _ => { });

        Assert.Equal(2, (await ColumnAsync(db => db.SessionNotes.Select(n => n.Id))).Count);
    }

    [Fact]
    public async Task ExecuteUpdate_CopyingAProgressNoteIntoATableWithoutPhi_IsRefusedForBilling()
    {
        using var host = Enforcing();
        await ReadAsync(
            host,
            Billing,
            db => Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.Wards.ExecuteUpdateAsync(s => s.SetProperty(w => w.Label, w => db.SessionNotes.OrderBy(n => n.Id).Select(n => n.Text).First()))),
            _ => { });

        Assert.Equal(["North"], await ColumnAsync(db => db.Wards.Select(w => w.Label)));
    }

    [Fact]
    public async Task ExecuteSql_InsertingANoteForAnyPatient_IsRefusedForBillingBeforeItRuns()
    {
        using var host = Enforcing();
        var sql = IsSqlite
            ? "INSERT INTO ChartEntries (Id, ResidentId, Discriminator, Text) VALUES ('0196b000-0000-7000-8000-0000000000f1', '0196b000-0000-7000-8000-0000000000c1', 'SessionNote', 'forged')"
            : "INSERT INTO \"ChartEntries\" (\"Id\", \"ResidentId\", \"Discriminator\", \"Text\") VALUES ('0196b000-0000-7000-8000-0000000000f1', '0196b000-0000-7000-8000-0000000000c1', 'SessionNote', 'forged')";
        var writes = await ReadAsync(host, Billing, db => Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.Database.ExecuteSqlRawAsync(sql)), _ => { });

        Assert.Equal(2, (await ColumnAsync(db => db.SessionNotes.Select(n => n.Id))).Count);
        Assert.Contains(writes, w => (w.Action, w.Outcome, w.PatientId) == (AuditAction.Create, AuditOutcome.Denied, null));
    }

    [Fact]
    public async Task SqlQuery_WritingThroughTheReadApi_IsRefusedForBillingBeforeItRuns()
    {
        using var host = Enforcing();
        var sql = IsSqlite
            ? "UPDATE Findings SET Code = Narrative RETURNING 1 AS Value"
            : "UPDATE \"Findings\" SET \"Code\" = \"Narrative\" RETURNING 1 AS \"Value\"";
        await ReadAsync(host, Billing, db => Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.Database.SqlQueryRaw<int>(sql).ToListAsync()), _ => { });

        Assert.Equal(["F32.1", "F32.1"], await ColumnAsync(db => db.Findings.Select(f => f.Code)));
    }

    [Fact]
    public async Task ExecuteUpdate_OfNotesOffTheCareTeam_IsRolledBackToItsStart_InsideTheCallersTransaction()
    {
        using var host = Enforcing();
        var writes = await ReadAsync(
            host,
            TherapistOfChild,
            async db =>
            {
                await using var transaction = await db.Database.BeginTransactionAsync();
                Assert.Equal(1, await db.SessionNotes.Where(n => n.ResidentId == Child).ExecuteUpdateAsync(s => s.SetProperty(n => n.Text, "rewritten for the child")));
                var refused = await Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.SessionNotes.ExecuteUpdateAsync(s => s.SetProperty(n => n.Text, "rewritten for all")));
                await transaction.CommitAsync();
                return refused;
            },
            denied => Assert.Equal("matrix.care-team-required", denied.Decision!.Rule.Id));

        Assert.Equal(["Gail disclosed an overdose", "rewritten for the child"], await ColumnAsync(db => db.SessionNotes.Select(n => n.Text)));
        Assert.Contains(writes, w => (w.Action, w.Outcome, w.PatientId) == (AuditAction.Update, AuditOutcome.Success, Child.ToString()));
        Assert.Contains(writes, w => (w.Action, w.Outcome, w.PatientId) == (AuditAction.Update, AuditOutcome.Denied, Guardian.ToString()));
    }

    [Fact]
    public async Task ExecuteUpdate_OfTheTherapistsOwnPatientsNotes_IsStillPermittedAndRecordedPerPatient()
    {
        using var host = Enforcing();
        var writes = await ReadAsync(host, TherapistOfChild, db => db.SessionNotes.Where(n => n.ResidentId == Child).ExecuteUpdateAsync(s => s.SetProperty(n => n.Text, "amended")), rows => Assert.Equal(1, rows));

        Assert.Equal([(AuditAction.Update, AuditOutcome.Success, Child.ToString())], writes.Select(w => (w.Action, w.Outcome, w.PatientId!)));
    }

    /// <summary>Reads a column as the seeding system actor, without enforcement.</summary>
    private async Task<List<T>> ColumnAsync<T>(Func<WardDb, IQueryable<T>> column)
    {
        using var plain = new WardHost(Database, enforcement: null);
        using var scope = AccessContext.Begin(AccessContext.ForSystem("check", PurposeOfUse.Operations));
        await using var db = plain.CreateContext();
        return [.. (await column(db).ToListAsync()).Order()];
    }
}

public sealed class SqliteBulkWriteAttackTests() : BulkWriteAttackTests("sqlite");

public sealed class PostgresBulkWriteAttackTests() : BulkWriteAttackTests("postgres");
