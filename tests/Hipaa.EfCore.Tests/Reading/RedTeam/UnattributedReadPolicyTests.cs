using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam;

/// <summary>
/// Known holes 1 and 2 of the first red team, closed: a read whose values SQL computes (an aggregate, a projection kept in
/// SQL, <c>SqlQuery</c>, a database-values reload) is decided by the policy before the command runs — for the patients its
/// predicate pins it to, otherwise for a patient the actor has no relationship with — and a refusal returns nothing and is
/// in the trail.
/// </summary>
public abstract class UnattributedReadPolicyTests(string provider) : RedTeamFixture(provider)
{
    private static AccessContext Billing => new(new Actor("u-bill-1", [WellKnownRoles.Billing], "practice"), PurposeOfUse.Payment);

    /// <summary>A therapist treating patient A only.</summary>
    private static AccessContext TherapistOfA => new(new Actor("u-ther-2", [WellKnownRoles.Therapist], "practice", [A]), PurposeOfUse.Treatment);

    [Fact]
    public async Task Read_ProjectionKeptInSqlByARoleDeniedTheCategory_IsRefusedBeforeItRunsAndRecordedAsDenied()
    {
        using var host = Enforcing();
        List<string>? texts = null;
        var reads = await host.ReadAsync(
            db => Assert.ThrowsAsync<PhiAccessDeniedException>(async () => texts = [.. (await db.Visits.Select(v => new { v.Text }).OrderBy(x => x.Text).ToListAsync()).Select(x => x.Text)]),
            denied => Assert.Equal("matrix.not-permitted", denied.Decision!.Rule.Id),
            Billing);

        Assert.Null(texts);
        var denial = Assert.Single(reads);
        Assert.Equal((AuditAction.Read, AuditOutcome.Denied, "u-bill-1", null, "ProgressNote"), (denial.Action, denial.Outcome, denial.ActorId, denial.PatientId, denial.Categories));
        Assert.Equal("Visit", denial.Entity);
        Assert.StartsWith("Deny matrix.not-permitted", denial.Decision, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_SqlQueryRawOfAPhiTableByARoleDeniedTheCategory_IsRefused()
    {
        using var host = Enforcing();
        var sql = IsSqlite ? "SELECT Text AS Value FROM Visits" : "SELECT \"Text\" AS \"Value\" FROM \"Visits\"";
        var reads = await host.ReadAsync(db => Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.Database.SqlQueryRaw<string>(sql).ToListAsync()), _ => { }, Billing);

        Assert.Equal(AuditOutcome.Denied, Assert.Single(reads).Outcome);
    }

    [Fact]
    public async Task Read_AggregatePinnedToAPatientOnTheCareTeam_IsPermittedAndRecordedAgainstThatPatient()
    {
        using var host = Enforcing();
        var reads = await host.ReadAsync(db => db.Visits.CountAsync(v => v.MemberId == ShapesHost.A && v.Text.Contains("anxiety")), count => Assert.Equal(1, count), TherapistOfA);

        var record = Assert.Single(reads);
        Assert.Equal((A, AuditOutcome.Success), (record.PatientId, record.Outcome));
    }

    [Fact]
    public async Task Read_AggregatePinnedToAPatientOffTheCareTeam_IsRefusedAndRecordedAgainstThatPatient()
    {
        using var host = Enforcing();
        var reads = await host.ReadAsync(
            db => Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.Visits.CountAsync(v => v.MemberId == ShapesHost.C && v.Text.Contains("anxiety"))),
            denied => Assert.Equal("matrix.care-team-required", denied.Decision!.Rule.Id),
            TherapistOfA);

        var denial = Assert.Single(reads);
        Assert.Equal((C, AuditOutcome.Denied), (denial.PatientId, denial.Outcome));
    }

    [Fact]
    public async Task Read_UnpinnedProjectionKeptInSqlByATherapist_IsRefusedByDefault_BecauseItCoversPatientsOffTheCareTeam()
    {
        using var host = Enforcing();
        var reads = await host.ReadAsync(
            db => Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.Visits.Select(v => new { v.Text }).OrderBy(x => x.Text).ToListAsync()),
            denied => Assert.Equal("matrix.care-team-required", denied.Decision!.Rule.Id),
            TherapistOfA);

        Assert.Equal((null, AuditOutcome.Denied), (Assert.Single(reads).PatientId, Assert.Single(reads).Outcome));
    }

    [Fact]
    public async Task Read_UnpinnedProjectionKeptInSqlByATherapist_RunsUnderRequireRolePermit_AndIsRecordedUnattributed()
    {
        using var host = Enforcing(e => e.UnattributedReads = UnattributedReadHandling.RequireRolePermit);
        var reads = await host.ReadAsync(db => db.Visits.Select(v => new { v.Text }).OrderBy(x => x.Text).ToListAsync(), rows => Assert.Equal(6, rows.Count), TherapistOfA);

        Assert.Equal([(AuditAction.Read, "Visit", 6)], Unattributed(reads));
        Assert.All(reads, r => Assert.Equal(AuditOutcome.Success, r.Outcome));
    }

    [Fact]
    public async Task Read_ProjectionKeptInSqlByARoleDeniedTheCategory_IsRefusedEvenUnderRequireRolePermit()
    {
        using var host = Enforcing(e => e.UnattributedReads = UnattributedReadHandling.RequireRolePermit);
        var reads = await host.ReadAsync(db => Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.Visits.Select(v => new { v.Text }).OrderBy(x => x.Text).ToListAsync()), _ => { }, Billing);

        Assert.Equal(AuditOutcome.Denied, Assert.Single(reads).Outcome);
    }

    [Fact]
    public async Task Reload_OfAnEntityRedactedByPolicy_IsRefusedInsteadOfRestoringThePlaintext()
    {
        using var host = Enforcing();
        string? text = null;
        var reads = await host.ReadAsync(
            async db =>
            {
                var visit = await db.Visits.FirstAsync(v => v.MemberId == ShapesHost.A);
                Assert.Equal(string.Empty, visit.Text); // redacted for billing
                await Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.Entry(visit).ReloadAsync());
                Assert.Throws<PhiAccessDeniedException>(() => db.Entry(visit).GetDatabaseValues());
                text = visit.Text;
                return 0;
            },
            _ => { },
            Billing);

        Assert.Equal(string.Empty, text);
        Assert.All(reads, r => Assert.Equal((A, AuditOutcome.Denied), (r.PatientId, r.Outcome)));
        Assert.Equal(3, reads.Count); // the redacted read, the refused reload, the refused database values
    }

    [Fact]
    public async Task Reload_ByATherapistOfThePatient_WorksAndIsRecordedAgainstThePatientNotUnattributed()
    {
        using var host = Enforcing();
        var reads = await host.ReadAsync(
            async db =>
            {
                var visit = await db.Visits.FirstAsync(v => v.MemberId == ShapesHost.A);
                visit.Text = "changed in memory";
                await db.Entry(visit).ReloadAsync();
                return visit.Text;
            },
            text => Assert.StartsWith("Ada", text, StringComparison.Ordinal),
            TherapistOfA);

        Assert.Empty(Unattributed(reads));
        Assert.All(reads, r => Assert.Equal((A, AuditOutcome.Success), (r.PatientId, r.Outcome)));
        Assert.Equal(2, reads.Count); // the query, the reload
    }

    [Fact]
    public async Task Read_EntityQueriesAndAttributedProjections_AreStillDecidedRowByRow()
    {
        // Not every query is decided up front: one whose values pass through entities keeps the row-by-row decision and the
        // redaction, so a therapist of A lists every visit with C's redacted, and billing still gets redacted rows.
        using var host = Enforcing();
        var therapist = await host.ReadAsync(db => db.Visits.Select(v => new { v.MemberId, v.Text }).ToListAsync(), rows => Assert.Equal(2, rows.Count(r => r.Text.Length > 0)), TherapistOfA);
        var billing = await host.ReadAsync(db => db.Visits.ToListAsync(), rows => Assert.All(rows, r => Assert.Equal(string.Empty, r.Text)), Billing);

        Assert.Empty(Unattributed(therapist.Concat(billing)));
    }

    private CustomOptionsHost Enforcing(Action<PolicyEnforcementOptions>? configure = null) =>
        new(Database, Database.Use, enforcement: configure ?? (_ => { }));
}

public sealed class SqliteUnattributedReadPolicyTests() : UnattributedReadPolicyTests("sqlite");

public sealed class PostgresUnattributedReadPolicyTests() : UnattributedReadPolicyTests("postgres");
