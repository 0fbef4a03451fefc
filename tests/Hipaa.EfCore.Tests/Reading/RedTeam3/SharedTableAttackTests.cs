using Hipaa.Auditing;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam3;

/// <summary>
/// Appointments and progress notes kept in one table (TPH): a read whose values SQL computes over that table was decided
/// for the entity type listed first for it only — appointments, which billing may read for any patient — so billing got
/// the progress notes' text from a projection kept in SQL, <c>SqlQuery</c> or a composed <c>FromSql</c>, recorded as an
/// appointment read. Every entity type whose columns the command names is decided now.
/// </summary>
public abstract class SharedTableAttackTests(string provider) : WardFixture(provider)
{
    [Fact]
    public async Task ProjectionKeptInSql_OfProgressNotesSharingATableWithAppointments_IsRefusedForBilling()
    {
        using var host = Enforcing();
        List<string>? texts = null;
        var reads = await ReadAsync(
            host,
            Billing,
            db => Assert.ThrowsAsync<PhiAccessDeniedException>(async () => texts = await db.SessionNotes.Select(n => n.Text).Distinct().ToListAsync()),
            denied => Assert.Equal("matrix.not-permitted", denied.Decision!.Rule.Id));

        Assert.Null(texts);
        var denial = Assert.Single(reads);
        Assert.Equal((AuditOutcome.Denied, "ProgressNote", null), (denial.Outcome, denial.Categories, denial.PatientId));
    }

    [Fact]
    public async Task SqlQuery_OfTheSharedTable_IsRefusedForBilling()
    {
        using var host = Enforcing();
        var sql = IsSqlite ? "SELECT Text AS Value FROM ChartEntries WHERE Text IS NOT NULL" : "SELECT \"Text\" AS \"Value\" FROM \"ChartEntries\" WHERE \"Text\" IS NOT NULL";
        var reads = await ReadAsync(host, Billing, db => Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.Database.SqlQueryRaw<string>(sql).ToListAsync()), _ => { });

        Assert.Equal((AuditOutcome.Denied, "ProgressNote"), (Assert.Single(reads).Outcome, Assert.Single(reads).Categories));
    }

    [Fact]
    public async Task FromSqlOfTheSharedTable_ComposedIntoAProjectionKeptInSql_IsRefusedForBilling()
    {
        using var host = Enforcing();
        var sql = IsSqlite ? "SELECT * FROM ChartEntries" : "SELECT * FROM \"ChartEntries\"";
        List<string>? texts = null;
        await ReadAsync(
            host,
            Billing,
            db => Assert.ThrowsAsync<PhiAccessDeniedException>(async () => texts = await db.SessionNotes.FromSqlRaw(sql).Select(n => n.Text).Distinct().ToListAsync()),
            _ => { });

        Assert.Null(texts);
    }

    [Fact]
    public async Task ProjectionKeptInSql_OfAppointmentsOnly_StillRunsForBilling_AndIsRecordedAsAnAppointmentRead()
    {
        using var host = Enforcing();
        var reads = await ReadAsync(host, Billing, db => db.Bookings.Select(b => b.Room).Distinct().ToListAsync(), rooms => Assert.Equal(["Room 2"], rooms));

        var read = Assert.Single(reads);
        Assert.Equal((AuditOutcome.Success, null), (read.Outcome, read.PatientId));
        Assert.Contains("Appointment", read.Categories, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProjectionKeptInSql_OfTheSharedTable_IsRecordedWithEveryCategoryItMayHaveRead()
    {
        // A compliance officer may read neither; RequireRolePermit lets a therapist of the child run it: the unattributed
        // record must name progress notes, not only appointments.
        using var host = Enforcing(o => o.UnattributedReads = UnattributedReadHandling.RequireRolePermit);
        var reads = await ReadAsync(host, TherapistOfChild, db => db.ChartEntries.Select(e => e.ResidentId).Distinct().ToListAsync(), ids => Assert.Equal(2, ids.Count));

        var read = Assert.Single(reads);
        Assert.Equal(["Appointment", "ProgressNote"], read.Categories.Split(Hipaa.EfCore.Auditing.AuditEntry.ListSeparator).Order(StringComparer.Ordinal));
    }
}

public sealed class SqliteSharedTableAttackTests() : SharedTableAttackTests("sqlite");

public sealed class PostgresSharedTableAttackTests() : SharedTableAttackTests("postgres");
