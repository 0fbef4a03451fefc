using Hipaa.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading;

/// <summary>
/// One actor per context: a context holding tracked PHI serves the access context that first used it; anyone else is
/// refused before anything is returned — Find on a tracked row (which runs no query), tracked queries and SaveChanges.
/// </summary>
public abstract class OneActorPerContextTests : IDisposable
{
    private readonly TestDatabase _database;

    protected OneActorPerContextTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Find_OfARowTrackedForAnotherUser_IsRefusedAndReturnsNothing()
    {
        using var host = new ShapesHost(_database);
        await using var context = host.CreateContext();
        using (AccessContext.Begin(ShapesHost.Therapist("u-first")))
        {
            Assert.NotNull(await context.Members.FindAsync(ShapesHost.A));
        }

        var before = host.Records().Count;
        Member? handed = null;
        using (AccessContext.Begin(ShapesHost.Therapist("u-second")))
        {
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(async () => handed = await context.Members.FindAsync(ShapesHost.A));
            Assert.Contains("u-first", failure.Message, StringComparison.Ordinal);
            Assert.Contains("ChangeTracker.Clear()", failure.Message, StringComparison.Ordinal);
            Assert.Throws<InvalidOperationException>(() => handed = context.Members.Find(ShapesHost.A));
        }

        Assert.Null(handed);
        Assert.Equal(before, host.Records().Count);
    }

    [Fact]
    public async Task Query_ByAnotherUserWhilePhiIsTracked_IsRefusedBeforeItRuns()
    {
        using var host = new ShapesHost(_database);
        await using var context = host.CreateContext();
        using (AccessContext.Begin(ShapesHost.Therapist("u-first")))
        {
            _ = await context.Visits.Where(v => v.MemberId == ShapesHost.A).ToListAsync();
        }

        var before = host.Records().Count;
        using (AccessContext.Begin(ShapesHost.Therapist("u-second")))
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => context.Visits.Select(v => v.Text).ToListAsync());
            await Assert.ThrowsAsync<InvalidOperationException>(() => context.Members.CountAsync());
        }

        // The same user with another purpose is another access context too.
        var forPayment = new AccessContext(ShapesHost.Therapist("u-first").Actor, Hipaa.Policy.PurposeOfUse.Payment);
        using (AccessContext.Begin(forPayment))
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => context.Visits.ToListAsync());
        }

        Assert.Equal(before, host.Records().Count);
    }

    [Fact]
    public async Task SaveChanges_ByAnotherUserWhilePhiIsTracked_IsRefusedAndWritesNothing()
    {
        using var host = new ShapesHost(_database);
        await using var context = host.CreateContext();
        Member member;
        using (AccessContext.Begin(ShapesHost.Therapist("u-first")))
        {
            member = await context.Members.SingleAsync(m => m.Id == ShapesHost.B);
        }

        member.Name = "Changed by someone else";
        using (AccessContext.Begin(ShapesHost.Therapist("u-second")))
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => context.SaveChangesAsync());
        }

        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var fresh = host.CreateContext())
        {
            Assert.Equal("Bea", (await fresh.Members.AsNoTracking().SingleAsync(m => m.Id == ShapesHost.B)).Name);
        }
    }

    [Fact]
    public async Task Context_AfterChangeTrackerClear_OrWithNothingTracked_ServesTheNextUserWithTheirOwnRecords()
    {
        using var host = new ShapesHost(_database);
        await using var context = host.CreateContext();
        using (AccessContext.Begin(ShapesHost.Therapist("u-first")))
        {
            _ = await context.Members.FindAsync(ShapesHost.A);
        }

        context.ChangeTracker.Clear();
        var before = host.Records().Count;
        using (AccessContext.Begin(ShapesHost.Therapist("u-second")))
        {
            Assert.NotNull(await context.Members.FindAsync(ShapesHost.A));
        }

        // No-tracking reads leave nothing behind for the next user.
        await using var untracked = host.CreateContext();
        foreach (var user in new[] { "u-third", "u-fourth" })
        {
            using (AccessContext.Begin(ShapesHost.Therapist(user)))
            {
                Assert.Equal(2, (await untracked.Visits.AsNoTracking().Where(v => v.MemberId == ShapesHost.C).Select(v => v.Text).ToListAsync()).Count);
            }
        }

        var reads = host.Records().Skip(before).ToList();
        Assert.Equal([("u-fourth", "Visit"), ("u-second", "Member"), ("u-third", "Visit")], reads.Select(r => (r.ActorId, r.Entity)).Order());
    }
}

public sealed class SqliteOneActorPerContextTests() : OneActorPerContextTests("sqlite");

public sealed class PostgresOneActorPerContextTests() : OneActorPerContextTests("postgres");
