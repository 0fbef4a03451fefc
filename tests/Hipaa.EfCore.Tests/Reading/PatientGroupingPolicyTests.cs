using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading;

/// <summary>
/// Under policy enforcement a query grouped by patient is decided per patient, as a pinned aggregate is: each returned
/// group for its own patient. Its values are computed in SQL and cannot be redacted, so a group the actor may not read
/// refuses the whole query, the refusal is recorded against that patient, and no row — streamed or buffered — is returned.
/// </summary>
public abstract class PatientGroupingPolicyTests : IDisposable
{
    private static readonly string A = ShapesHost.A.ToString(), B = ShapesHost.B.ToString();
    private readonly TestDatabase _database;

    protected PatientGroupingPolicyTests(string provider) => _database = TestDatabase.Create(provider);

    /// <summary>A therapist treating patient A only.</summary>
    private static AccessContext TherapistOfA => new(new Actor("u-ther-2", [WellKnownRoles.Therapist], "practice", [A]), PurposeOfUse.Treatment);

    private static AccessContext Billing => new(new Actor("u-bill-1", [WellKnownRoles.Billing], "practice", [A]), PurposeOfUse.Payment);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Read_TextAggregateGroupedByPatientOfTheCareTeamOnly_IsPermittedAndRecordedAgainstThatPatient()
    {
        using var host = new ShapesHost(_database, enforcePolicy: true);
        var before = host.Records().Count;
        using (AccessContext.Begin(TherapistOfA))
        await using (var context = host.CreateContext())
        {
            var rows = await context.Visits.Where(v => v.MemberId == ShapesHost.A).GroupBy(v => v.MemberId).Select(g => new { g.Key, Last = g.Max(v => v.Text) }).ToListAsync();
            Assert.Equal("Ada slept better", Assert.Single(rows).Last);
        }

        var record = Assert.Single(host.Records().Skip(before));
        Assert.Equal((A, AuditOutcome.Success, "Visit"), (record.PatientId, record.Outcome, record.Entity));
        Assert.StartsWith("Permit", record.Decision, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_TextAggregateGroupedByPatientIncludingAPatientOffTheCareTeam_IsRefusedAndReturnsNothing()
    {
        using var host = new ShapesHost(_database, enforcePolicy: true);
        var before = host.Records().Count;
        object? returned = null;
        using (AccessContext.Begin(TherapistOfA))
        await using (var context = host.CreateContext())
        {
            var denied = await Assert.ThrowsAsync<PhiAccessDeniedException>(async () =>
                returned = await context.Visits.GroupBy(v => v.MemberId).OrderBy(g => g.Key).Select(g => new { g.Key, Last = g.Max(v => v.Text) }).ToListAsync());
            Assert.Equal("matrix.care-team-required", denied.Decision!.Rule.Id);
        }

        // A's group was decided first and permitted, B's refused: the query failed, so only the refusal is in the trail.
        Assert.Null(returned);
        var denial = Assert.Single(host.Records().Skip(before));
        Assert.Equal((B, AuditOutcome.Denied, "Visit", AuditAction.Read), (denial.PatientId, denial.Outcome, denial.Entity, denial.Action));
    }

    [Fact]
    public async Task Read_StreamedGroupsIncludingAPatientOffTheCareTeam_HandsOutNoRowBeforeTheRefusal()
    {
        // One result per read-ahead batch: the permitted group A would be handed out before B's were decided, unless the
        // query is read to its end first.
        using var host = new ShapesHost(_database, o => o.ReadAheadRows = 1, enforcePolicy: true);
        var received = new List<Guid>();
        using (AccessContext.Begin(TherapistOfA))
        await using (var context = host.CreateContext())
        {
            await Assert.ThrowsAsync<PhiAccessDeniedException>(async () =>
            {
                await foreach (var row in context.Visits.GroupBy(v => v.MemberId).OrderBy(g => g.Key).Select(g => new { g.Key, N = g.Count() }).AsAsyncEnumerable())
                {
                    received.Add(row.Key);
                }
            });

            Assert.Throws<PhiAccessDeniedException>(() =>
            {
                foreach (var key in context.Visits.GroupBy(v => v.MemberId).OrderBy(g => g.Key).Select(g => g.Key))
                {
                    received.Add(key);
                }
            });
        }

        Assert.Empty(received);
    }

    [Fact]
    public async Task Read_TextAggregateGroupedByPatientByBilling_IsRefusedForTheFirstGroupsPatient()
    {
        using var host = new ShapesHost(_database, enforcePolicy: true);
        var before = host.Records().Count;
        using (AccessContext.Begin(Billing))
        await using (var context = host.CreateContext())
        {
            var denied = await Assert.ThrowsAsync<PhiAccessDeniedException>(() =>
                context.Visits.GroupBy(v => v.MemberId).OrderBy(g => g.Key).Select(g => new { g.Key, Last = g.Max(v => v.Text) }).ToListAsync());
            Assert.Equal("matrix.not-permitted", denied.Decision!.Rule.Id);
        }

        var denial = Assert.Single(host.Records().Skip(before));
        Assert.Equal((A, AuditOutcome.Denied, "ProgressNote"), (denial.PatientId, denial.Outcome, denial.Categories));
    }

    [Fact]
    public async Task Read_GroupedByPatientByTheTreatingTherapist_ReturnsEveryGroupWithItsDecisionRecorded()
    {
        using var host = new ShapesHost(_database, enforcePolicy: true);
        var before = host.Records().Count;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            var rows = await context.Visits.GroupBy(v => v.MemberId).Select(g => new { g.Key, Total = g.Sum(v => v.Minutes) }).ToListAsync();
            Assert.All(rows, r => Assert.Equal(80, r.Total));
        }

        var reads = host.Records().Skip(before).ToList();
        Assert.Equal([A, B, ShapesHost.C.ToString()], reads.Select(r => r.PatientId).Order());
        Assert.All(reads, r => Assert.StartsWith("Permit", r.Decision, StringComparison.Ordinal));
    }
}

public sealed class SqlitePatientGroupingPolicyTests() : PatientGroupingPolicyTests("sqlite");

public sealed class PostgresPatientGroupingPolicyTests() : PatientGroupingPolicyTests("postgres");
