using Hipaa.Auditing;
using Hipaa.Cli.Tests.Policy;

namespace Hipaa.Cli.Tests.Audit;

/// <summary><c>hipaa audit purge</c>: retention is applied, never shorter than six years, and the chain still verifies.</summary>
public sealed class AuditPurgeCommandTests : IDisposable
{
    private readonly AuditTrailDatabase _database = new("sqlite");

    public void Dispose() => _database.Dispose();

    [Fact]
    public void Purge_RetentionUnderSixYears_IsRefusedAndDeletesNothing()
    {
        _database.Append(3);

        CliRun run = CliRun.Of(["audit", "purge", .. _database.Store, "--retention-years", "5"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("at least 6", run.Error, StringComparison.Ordinal);
        Assert.Empty(_database.AuditLogReads());
    }

    [Fact]
    public async Task Purge_OnlyRecentRecords_PurgesNothingAndTheTrailStillVerifies()
    {
        _database.Append(4, n => AuditTrailDatabase.Record(n) with { OccurredAt = DateTimeOffset.UtcNow.AddDays(-n) });
        await SealAsync();

        CliRun purge = CliRun.Of(["audit", "purge", .. _database.Store]);
        CliRun verify = CliRun.Of(["audit", "verify", .. _database.Store, "--public-key", _database.PublicKeyPath]);

        Assert.True(purge.ExitCode == 0, purge.Error);
        Assert.StartsWith("Nothing to purge", purge.OutputLines[0], StringComparison.Ordinal);
        Assert.Equal(4, _database.Sealed().Count);
        Assert.True(verify.ExitCode == 0, verify.Error + verify.Output);
    }

    [Fact]
    public async Task Purge_RecordsOlderThanSixYears_AreDeletedUpToACheckpointAndThePurgeIsAudited()
    {
        var old = DateTimeOffset.UtcNow.AddYears(-7);
        _database.Append(4, n => AuditTrailDatabase.Record(n) with { OccurredAt = old.AddMinutes(n) });
        await SealAsync(sealedAt: old.AddHours(1));
        _database.Append(2, n => AuditTrailDatabase.Record(n + 10) with { OccurredAt = DateTimeOffset.UtcNow.AddDays(-1) });
        await SealAsync();

        CliRun purge = CliRun.Of(["audit", "purge", .. _database.Store, "--actor", "u-privacy-1"]);
        CliRun verify = CliRun.Of(["audit", "verify", .. _database.Store, "--public-key", _database.PublicKeyPath]);

        Assert.True(purge.ExitCode == 0, purge.Error);
        Assert.StartsWith("Purged 4 records", purge.OutputLines[0], StringComparison.Ordinal);
        Assert.DoesNotContain(_database.Sealed(), e => e.OccurredAt < DateTimeOffset.UtcNow.AddYears(-6));
        Assert.True(verify.ExitCode == 0, verify.Error + verify.Output);
        Assert.Contains(_database.AuditLogReads(), e => e.ActorId == "u-privacy-1" && e.Action == AuditAction.Delete);
    }

    /// <summary>Seals what waits, with checkpoints made at <paramref name="sealedAt"/> (now by default).</summary>
    private async Task SealAsync(DateTimeOffset? sealedAt = null)
    {
        using var signer = Hipaa.EfCore.Auditing.Integrity.LocalDevelopmentCheckpointSigner.OpenOrCreate(_database.KeyPath);
        using var sealer = new Hipaa.EfCore.Auditing.Integrity.AuditSealer(
            _database.Options, signer, sealedAt is { } at ? new FixedTime(at) : TimeProvider.System);
        Assert.True((await sealer.SealAsync(10_000)).RecordsSealed > 0);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
