using Hipaa.Auditing;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam;

/// <summary>
/// Ways to reach PHI a context already tracks: handing the context (and its entities) to another actor, explicit loads,
/// reloads and database values of a tracked entity. Another actor is refused before anything runs; the same actor's
/// re-reads are recorded.
/// </summary>
public abstract class TrackedEntityAttackTests(string provider) : RedTeamFixture(provider)
{
    private static AccessContext Billing => new(new Actor("u-bill-1", [WellKnownRoles.Billing], "practice"), PurposeOfUse.Payment);

    [Fact]
    public async Task ExplicitLoadReloadAndDatabaseValues_ByAnotherActor_AreRefusedBeforeTheyRun()
    {
        using var host = new ShapesHost(Database);
        await using var context = host.CreateContext();
        Member member;
        using (AccessContext.Begin(ShapesHost.Therapist("u-first")))
        {
            member = await context.Members.SingleAsync(m => m.Id == ShapesHost.A);
        }

        var before = host.Records().Count;
        using (AccessContext.Begin(ShapesHost.Therapist("u-second")))
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => context.Entry(member).Collection(m => m.Visits).LoadAsync());
            await Assert.ThrowsAsync<InvalidOperationException>(() => context.Entry(member).ReloadAsync());
            await Assert.ThrowsAsync<InvalidOperationException>(() => context.Entry(member).GetDatabaseValuesAsync());
            await Assert.ThrowsAsync<InvalidOperationException>(() => context.Entry(member).Collection(m => m.Visits).Query().Select(v => v.Text).ToListAsync());
            await Assert.ThrowsAsync<InvalidOperationException>(() => context.Database.SqlQueryRaw<string>("SELECT \"Name\" AS \"Value\" FROM \"Members\"").ToListAsync());
        }

        Assert.Empty(member.Visits);
        Assert.Equal(before, host.Records().Count);
    }

    [Fact]
    public async Task ExplicitLoadOfANavigation_BySameActor_RecordsThePatient()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            async db =>
            {
                var member = await db.Members.SingleAsync(m => m.Id == ShapesHost.B);
                await db.Entry(member).Collection(m => m.Visits).LoadAsync();
                return member;
            },
            member => Assert.Equal(2, member.Visits.Count));

        Assert.Equal([("Member", B), ("Visit", B)], Attributed(reads));
        Assert.Empty(Unattributed(reads));
    }

    [Fact]
    public async Task DatabaseValuesOfATrackedEntity_AreRecordedAgainstItsPatient()
    {
        using var host = new ShapesHost(Database);
        await using var context = host.CreateContext();
        Visit visit;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        {
            visit = await context.Visits.FirstAsync(v => v.MemberId == ShapesHost.C);
        }

        var before = host.Records().Count;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        {
            var values = await context.Entry(visit).GetDatabaseValuesAsync();
            Assert.StartsWith("Cy ", values!.GetValue<string>(nameof(Visit.Text)), StringComparison.Ordinal);
        }

        // Pinned to the entry's patient (AdmittingEntityFinder): recorded against C, not unattributed.
        var reads = host.Records().Skip(before).ToList();
        Assert.Empty(Unattributed(reads));
        Assert.Equal([("Visit", C)], Attributed(reads));
        Assert.Equal(1, Assert.Single(reads).RowCount);
    }
}

public sealed class SqliteTrackedEntityAttackTests() : TrackedEntityAttackTests("sqlite");

public sealed class PostgresTrackedEntityAttackTests() : TrackedEntityAttackTests("postgres");
