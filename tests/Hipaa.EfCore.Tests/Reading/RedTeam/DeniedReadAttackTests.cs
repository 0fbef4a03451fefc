using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam;

/// <summary>
/// A read the policy refuses with <see cref="DeniedReadHandling.Throw"/> fails "after the denial is audited": under the
/// default read-ahead (<see cref="ReadAuditCommit.PerBatch"/>) the denial's record waits for the batch's commit, which the
/// failure cuts short — the attempt must still be in the trail, for entity queries, projections and single results.
/// </summary>
public abstract class DeniedReadAttackTests(string provider) : RedTeamFixture(provider)
{
    private static AccessContext Billing => new(new Actor("u-bill-1", [WellKnownRoles.Billing], "practice"), PurposeOfUse.Payment);

    public static TheoryData<ReadAuditCommit> Modes => [ReadAuditCommit.PerBatch, ReadAuditCommit.PerPatient, ReadAuditCommit.PerQuery];

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Read_RefusedByPolicy_IsRecordedAsDeniedInEveryCommitMode(ReadAuditCommit mode)
    {
        using var host = new CustomOptionsHost(Database, Database.Use, o => o.ReadAuditCommit = mode, e => e.DeniedReads = DeniedReadHandling.Throw);
        var list = await host.ReadAsync(db => Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.Visits.Where(v => v.MemberId == ShapesHost.A).ToListAsync()), _ => { }, Billing);
        var projected = await host.ReadAsync(db => Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.Visits.Where(v => v.MemberId == ShapesHost.B).Select(v => v.Text).ToListAsync()), _ => { }, Billing);
        var first = await host.ReadAsync(db => Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.Visits.Where(v => v.MemberId == ShapesHost.C).FirstAsync()), _ => { }, Billing);
        var sync = await host.ReadAsync(db => Task.FromResult(Assert.Throws<PhiAccessDeniedException>(() => db.Members.AsNoTracking().Where(m => m.Id == ShapesHost.A).Select(m => m.Visits.First()).Single())), _ => { }, Billing);

        Assert.Empty(Unattributed(list.Concat(projected).Concat(first)));
        foreach (var (reads, patient) in new[] { (list, A), (projected, B), (first, C) })
        {
            var denial = Assert.Single(reads, r => r.PatientId is not null);
            Assert.Equal((AuditAction.Read, "Visit", patient, AuditOutcome.Denied, "u-bill-1"), (denial.Action, denial.Entity, denial.PatientId, denial.Outcome, denial.ActorId));
        }

        // A subquery's entity in the final projection is not attributed by the query's shape, so the policy decides the
        // whole command before it runs (UnattributedReadPolicy): refused for billing, in the trail as a denied read of visits.
        var refusal = Assert.Single(sync);
        Assert.Equal((AuditAction.Read, AuditOutcome.Denied, "u-bill-1", "ProgressNote"), (refusal.Action, refusal.Outcome, refusal.ActorId, refusal.Categories));
        Assert.Contains("Visit", refusal.Entity, StringComparison.Ordinal);
    }
}

public sealed class SqliteDeniedReadAttackTests() : DeniedReadAttackTests("sqlite");

public sealed class PostgresDeniedReadAttackTests() : DeniedReadAttackTests("postgres");
