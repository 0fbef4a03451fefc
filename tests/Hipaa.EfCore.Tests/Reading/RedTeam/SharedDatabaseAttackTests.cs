using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Auditing.Integrity;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam;

/// <summary>
/// Two application instances (two audit runtimes, two writers, two sealing loops) over one database, reading at the same
/// time: every read of each is recorded exactly once for its own actor, and the chain both sealed verifies.
/// </summary>
public abstract class SharedDatabaseAttackTests(string provider) : RedTeamFixture(provider)
{
    [Fact]
    public async Task TwoInstancesReadingConcurrently_RecordEveryReadOnceAndLeaveAVerifiableChain()
    {
        const int Reads = 12;
        int before;
        using (var first = new CustomOptionsHost(Database, Database.Use))
        using (var second = new CustomOptionsHost(Database, Database.Use))
        {
            before = Database.AuditRecords().Count;
            await Task.WhenAll(
                Enumerable.Range(0, Reads).Select(i => Task.Run(() => ReadAllAsync(i % 2 == 0 ? first : second, "u-instance-" + (i % 2)))));
        }

        var reads = Database.AuditRecords().Skip(before).ToList();
        Assert.Equal(Reads * 3, reads.Count);
        foreach (var actor in new[] { "u-instance-0", "u-instance-1" })
        {
            var mine = reads.Where(r => r.ActorId == actor).ToList();
            Assert.Equal(Reads / 2 * 3, mine.Count);
            Assert.Equal([A, B, C], mine.Select(r => r.PatientId!).Distinct().Order());
        }

        var builder = new DbContextOptionsBuilder<AuditDbContext>();
        Database.Use(builder);
        using var signer = LocalDevelopmentCheckpointSigner.OpenOrCreate(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath);
        using (var sealer = new AuditSealer(builder.Options, signer, TimeProvider.System))
        {
            await sealer.SealAsync(10_000);
        }

        using var keys = CheckpointSignatureVerifier.FromSigner(signer);
        var result = await new AuditVerifier(builder.Options, TimeProvider.System, new AuditVerificationOptions { Signatures = keys }).VerifyAsync();
        Assert.True(result.IsValid, result.Problem?.ToString());
        Assert.Equal(0, result.UnsealedRecords);
    }

    private static async Task ReadAllAsync(CustomOptionsHost host, string actor)
    {
        using (AccessContext.Begin(ShapesHost.Therapist(actor)))
        await using (var context = host.CreateContext())
        {
            Assert.Equal(3, (await context.Members.AsNoTracking().ToListAsync()).Count);
        }
    }
}

public sealed class SqliteSharedDatabaseAttackTests() : SharedDatabaseAttackTests("sqlite");

public sealed class PostgresSharedDatabaseAttackTests() : SharedDatabaseAttackTests("postgres");
