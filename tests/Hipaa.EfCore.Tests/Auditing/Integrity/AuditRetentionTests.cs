using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Auditing.Integrity;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Auditing.Integrity;

/// <summary>Records are kept six years at least; a purge cuts at a checkpoint that stays as the chain's verifiable anchor.</summary>
public abstract class AuditRetentionTests : IDisposable
{
    private static readonly TimeSpan SixYears = AuditRetention.MinimumRetentionPeriod;

    private readonly AuditStore _store;

    protected AuditRetentionTests(string provider) => _store = new AuditStore(provider);

    public void Dispose()
    {
        _store.Dispose();
        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(365)]
    [InlineData((6 * 365) + 1)]
    public async Task PurgeExpiredAsync_PeriodUnderSixYears_IsRefusedAndDeletesNothing(int days)
    {
        await _store.AppendAndSealAsync(batches: 2, perBatch: 3);
        _store.Time.Advance(TimeSpan.FromDays(10 * 365));
        var retention = new AuditRetention(_store.Options, _store.Time);

        using (AccessContext.Begin(Officer()))
        {
            var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => retention.PurgeExpiredAsync(TimeSpan.FromDays(days)));
            Assert.Contains("at least six years", error.Message, StringComparison.Ordinal);
            Assert.Contains("nothing was deleted", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(6, _store.Sealed().Count);
    }

    [Fact]
    public async Task PurgeExpiredAsync_NoAccessContext_Throws()
    {
        var retention = new AuditRetention(_store.Options, _store.Time);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => retention.PurgeExpiredAsync(SixYears));

        Assert.Contains("AccessContext.ForSystem", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PurgeExpiredAsync_NothingOlderThanRetention_DeletesNothing()
    {
        await _store.AppendAndSealAsync(batches: 2, perBatch: 3);
        _store.Time.Advance(TimeSpan.FromDays(5 * 365));
        var retention = new AuditRetention(_store.Options, _store.Time);

        AuditPurgeResult result;
        using (AccessContext.Begin(Officer()))
        {
            result = await retention.PurgeExpiredAsync(SixYears);
        }

        Assert.Equal(0, result.RecordsDeleted);
        Assert.Equal(6, _store.Sealed().Count);
    }

    [Fact]
    public async Task PurgeExpiredAsync_OldPrefix_DeletesUpToACheckpointAndTheChainStillVerifiesAndGrows()
    {
        await _store.AppendAndSealAsync(batches: 3, perBatch: 4);
        _store.Time.Advance(TimeSpan.FromDays(400));
        var recent = new List<AuditEntry>();
        using (var sealer = _store.Sealer())
        {
            recent.AddRange(_store.Append(4, n => AuditStore.Record(n, occurredAt: _store.Time.GetUtcNow())));
            await sealer.SealAsync(100);
        }

        _store.Time.Advance(SixYears - TimeSpan.FromDays(200));
        var retention = new AuditRetention(_store.Options, _store.Time);

        AuditPurgeResult result;
        using (AccessContext.Begin(Officer()))
        {
            result = await retention.PurgeExpiredAsync(SixYears);
        }

        Assert.Equal(12, result.RecordsDeleted);
        Assert.Equal(1, result.FirstPosition);
        Assert.Equal(12, result.LastPosition);
        Assert.Equal(recent.Select(e => e.RecordId), _store.Sealed().Select(e => e.RecordId));
        Assert.Equal([12L, 16], _store.Checkpoints().Select(c => c.Position));
        AuditVerificationResult afterPurge = await _store.VerifyAsync();
        Assert.True(afterPurge.IsValid, afterPurge.Problem?.ToString());
        Assert.Equal(13, afterPurge.FirstPosition);
        Assert.Equal(4, afterPurge.RecordsVerified);

        using (var context = new AuditDbContext(_store.Options))
        {
            AuditEntry purgeRecord = context.Entries.Single(e => e.Action == AuditAction.Delete);
            Assert.Equal("hipaa_audit", purgeRecord.Entity);
            Assert.Equal("AuditLog", purgeRecord.Categories);
            Assert.Equal("u-privacy-1", purgeRecord.ActorId);
            Assert.Equal(12, purgeRecord.RowCount);
            Assert.Null(purgeRecord.ChainPosition);
        }

        await SealThePurgeRecordAsync();
        await _store.AppendAndSealAsync(batches: 1, perBatch: 2);
        AuditVerificationResult grown = await _store.VerifyAsync();
        Assert.True(grown.IsValid, grown.Problem?.ToString());
        Assert.Equal(19, grown.LastPosition);
    }

    [Fact]
    public async Task PurgeExpiredAsync_RecordsOfSeveralPatients_DeletesTheirIndexRowsAndKeepsTheRecentOnes()
    {
        using (var sealer = _store.Sealer())
        {
            _store.Append(2, n => AuditStore.Record(n) with { PatientId = null, PatientIds = ["old-a", "old-b", "old-c"] });
            await sealer.SealAsync(100);
            _store.Time.Advance(TimeSpan.FromDays(400));
            _store.Append(1, n => AuditStore.Record(n, occurredAt: _store.Time.GetUtcNow()) with { PatientId = null, PatientIds = ["new-a", "new-b"] });
            await sealer.SealAsync(100);
        }

        using (var context = new AuditDbContext(_store.Options))
        {
            Assert.Equal(8, context.PatientIndex.Count());
        }

        _store.Time.Advance(SixYears - TimeSpan.FromDays(200));
        using (AccessContext.Begin(Officer()))
        {
            Assert.Equal(2, (await new AuditRetention(_store.Options, _store.Time).PurgeExpiredAsync(SixYears)).RecordsDeleted);
        }

        using (var context = new AuditDbContext(_store.Options))
        {
            Assert.Equal(["new-a", "new-b"], context.PatientIndex.Select(i => i.PatientId).OrderBy(p => p).ToList());
        }

        AuditVerificationResult result = await _store.VerifyAsync();
        Assert.True(result.IsValid, result.Problem?.ToString());
    }

    [Fact]
    public async Task PurgeExpiredAsync_EverythingExpired_KeepsTheHeadCheckpointAndSealingContinuesFromIt()
    {
        await _store.AppendAndSealAsync(batches: 2, perBatch: 3);
        _store.Time.Advance(SixYears + TimeSpan.FromDays(30));
        var retention = new AuditRetention(_store.Options, _store.Time);

        using (AccessContext.Begin(Officer()))
        {
            AuditPurgeResult result = await retention.PurgeExpiredAsync(SixYears);
            Assert.Equal(6, result.RecordsDeleted);
        }

        Assert.Empty(_store.Sealed());
        Assert.True((await _store.VerifyAsync()).IsValid);

        await SealThePurgeRecordAsync();
        await _store.AppendAndSealAsync(batches: 1, perBatch: 2);
        AuditVerificationResult result2 = await _store.VerifyAsync();
        Assert.True(result2.IsValid, result2.Problem?.ToString());
        Assert.Equal(7, result2.FirstPosition);
        Assert.Equal(9, result2.LastPosition);
    }

    [Fact]
    public async Task VerifyAsync_PrefixDeletedUpToARecentCheckpoint_ReportsPrematurePurge()
    {
        await _store.AppendAndSealAsync(batches: 3, perBatch: 4);

        _store.Sql("DELETE FROM hipaa_audit WHERE chain_position <= 8");
        AuditVerificationResult result = await _store.VerifyAsync();

        AuditVerifierTests.AssertProblem(result, AuditChainProblemKind.PrematurePurge, 8);
    }

    [Fact]
    public async Task VerifyAsync_PrefixDeletedWithoutACheckpointAtItsEnd_ReportsDeletionFromTheStart()
    {
        await _store.AppendAndSealAsync(batches: 3, perBatch: 4);

        _store.Sql("DELETE FROM hipaa_audit WHERE chain_position <= 6");
        AuditVerificationResult result = await _store.VerifyAsync();

        AuditChainProblem problem = AuditVerifierTests.AssertProblem(result, AuditChainProblemKind.DeletedRecord, 1);
        Assert.Contains("positions 1..6", problem.Message, StringComparison.Ordinal);
    }

    private async Task SealThePurgeRecordAsync()
    {
        using var sealer = _store.Sealer();
        Assert.Equal(1, (await sealer.SealAsync(100)).RecordsSealed);
    }

    private static AccessContext Officer() => new(new Actor("u-privacy-1", ["PrivacyOfficer"]), PurposeOfUse.Operations);
}

public sealed class SqliteAuditRetentionTests() : AuditRetentionTests("sqlite");

public sealed class PostgresAuditRetentionTests() : AuditRetentionTests("postgres");
