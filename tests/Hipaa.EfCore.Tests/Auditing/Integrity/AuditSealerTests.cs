using System.Collections.Concurrent;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Auditing.Integrity;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Auditing.Integrity;

/// <summary>The sealer extends the chain in id order, signs a checkpoint per seal, and never forks under concurrency.</summary>
public abstract class AuditSealerTests : IDisposable
{
    private readonly AuditStore _store;

    protected AuditSealerTests(string provider) => _store = new AuditStore(provider);

    public void Dispose()
    {
        _store.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task SealAsync_PendingRows_SealsOldestFirstUpToTheLimitAndSignsTheHead()
    {
        List<AuditEntry> appended = _store.Append(5);
        using var sealer = _store.Sealer();

        AuditSealResult first = await sealer.SealAsync(3);
        AuditSealResult second = await sealer.SealAsync(3);

        Assert.Equal(new AuditSealResult(3, 1, 3), first);
        Assert.Equal(new AuditSealResult(2, 4, 5), second);
        List<AuditEntry> sealedRows = _store.Sealed();
        Assert.Equal(appended.Select(e => e.RecordId), sealedRows.Select(e => e.RecordId));
        Assert.Equal([1L, 2, 3, 4, 5], sealedRows.Select(e => e.ChainPosition!.Value));
        Assert.Equal(new byte[32], sealedRows[0].PreviousHash);
        for (int i = 0; i < sealedRows.Count; i++)
        {
            byte[] previous = i == 0 ? new byte[32] : sealedRows[i - 1].Hash!;
            Assert.Equal(previous, sealedRows[i].PreviousHash);
            Assert.Equal(AuditRecordHasher.ComputeHash(previous, i + 1, sealedRows[i]), sealedRows[i].Hash);
            Assert.Equal(AuditStore.Start, sealedRows[i].SealedAt);
        }

        List<AuditCheckpointEntry> checkpoints = _store.Checkpoints();
        Assert.Equal([3L, 5], checkpoints.Select(c => c.Position));
        Assert.Equal(sealedRows[4].Hash, checkpoints[1].HeadHash);
        Assert.All(checkpoints, c => Assert.Equal(_store.Signer.KeyId, c.SignerKeyId));
        using var keys = CheckpointSignatureVerifier.FromPem(_store.Signer.ExportPublicKeyPem(), "test");
        Assert.All(checkpoints, c => Assert.True(keys.IsValid(AuditCheckpoint.From(c))));
    }

    [Fact]
    public async Task SealAsync_ChainColumns_StoredAsEfCoreStoresThem()
    {
        // The sealer writes the chain columns with its own UPDATE statements (not SaveChanges): EF Core's own queries must
        // still find the rows by those values, which holds only if they are stored in the provider's format for them.
        _store.Time.Advance(TimeSpan.FromTicks(1_234_567)); // sub-second digits in sealed_at
        _store.Append(3);
        using var sealer = _store.Sealer();

        await sealer.SealAsync(10);

        List<AuditEntry> sealedRows = _store.Sealed();
        DateTimeOffset sealedAt = AuditCheckpoint.ToStoredPrecision(_store.Time.GetUtcNow());
        using var context = new AuditDbContext(_store.Options);
        Assert.Equal(3, context.Entries.Count(e => e.SealedAt == sealedAt));
        foreach (AuditEntry row in sealedRows)
        {
            byte[] hash = row.Hash!;
            byte[] previous = row.PreviousHash!;
            long position = row.ChainPosition!.Value;
            Assert.Equal(row.Id, context.Entries.Where(e => e.Hash == hash && e.PreviousHash == previous && e.ChainPosition == position).Select(e => e.Id).Single());
        }
    }

    [Fact]
    public async Task SealAsync_NothingPending_ReturnsEmptyAndWritesNoCheckpoint()
    {
        using var sealer = _store.Sealer();

        AuditSealResult result = await sealer.SealAsync(100);

        Assert.Same(AuditSealResult.Empty, result);
        Assert.Empty(_store.Checkpoints());
    }

    [Fact]
    public async Task SealAsync_NonPositiveLimit_Throws()
    {
        using var sealer = _store.Sealer();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => sealer.SealAsync(0));
    }

    [Fact]
    public async Task SealAsync_ChainExtendedOutsideTheSealer_RefusesAndSealsNothing()
    {
        await _store.AppendAndSealAsync(batches: 1, perBatch: 3);
        AuditEntry head = _store.Sealed()[^1];
        using (var context = new AuditDbContext(_store.Options))
        {
            AuditEntry forged = AuditEntry.From(AuditStore.Record(50));
            forged.ChainPosition = 4;
            forged.PreviousHash = head.Hash;
            forged.Hash = AuditRecordHasher.ComputeHash(head.Hash, 4, forged);
            context.Entries.Add(forged);
            context.SaveChanges();
        }

        _store.Append(2);
        using var sealer = _store.Sealer();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => sealer.SealAsync(10));

        Assert.Contains("position 4", error.Message, StringComparison.Ordinal);
        Assert.Contains("hipaa audit verify", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, _store.Sealed().Count);
    }

    [Fact]
    public async Task SealAsync_TailTruncated_RefusesToReusePositions()
    {
        await _store.AppendAndSealAsync(batches: 2, perBatch: 3);
        _store.Sql("DELETE FROM hipaa_audit WHERE chain_position > 4");
        _store.Append(1);
        using var sealer = _store.Sealer();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => sealer.SealAsync(10));

        Assert.Contains("newest checkpoint covers position 6", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SealAsync_NewestCheckpointForged_Refuses()
    {
        await _store.AppendAndSealAsync(batches: 1, perBatch: 3);
        _store.Sql("UPDATE hipaa_audit_checkpoints SET signature = @s", ("@s", new byte[64]));
        _store.Append(1);
        using var sealer = _store.Sealer();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => sealer.SealAsync(10));

        Assert.Contains("signature does not verify", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SealAsync_EightSealersWhileEightWritersAppend_OneUnbrokenChainWithEveryRecordOnce()
    {
        const int Writers = 8;
        const int BatchesPerWriter = 25;
        const int RowsPerBatch = 4;
        var appended = new ConcurrentBag<Guid>();
        int writersLeft = Writers;

        Task[] writers = [.. Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            try
            {
                for (int b = 0; b < BatchesPerWriter; b++)
                {
                    await using var context = new AuditDbContext(_store.Options);
                    var entries = Enumerable.Range(0, RowsPerBatch)
                        .Select(i => AuditEntry.From(AuditStore.Record((w * 1000) + (b * 10) + i, patientId: "patient-" + w)))
                        .ToList();
                    context.Entries.AddRange(entries);
                    await context.SaveChangesAsync();
                    entries.ForEach(e => appended.Add(e.RecordId));
                }
            }
            finally
            {
                Interlocked.Decrement(ref writersLeft);
            }
        }))];

        var sealedCounts = new ConcurrentBag<int>();
        Task[] sealers = [.. Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            using var sealer = _store.Sealer();
            while (true)
            {
                bool writing = Volatile.Read(ref writersLeft) > 0;
                AuditSealResult result = await sealer.SealAsync(7);
                sealedCounts.Add(result.RecordsSealed);
                if (!writing && result.RecordsSealed == 0)
                {
                    return;
                }
            }
        }))];

        await Task.WhenAll(writers);
        await Task.WhenAll(sealers);

        const int Expected = Writers * BatchesPerWriter * RowsPerBatch;
        List<AuditEntry> sealedRows = _store.Sealed();
        Assert.Equal(Expected, sealedRows.Count);
        Assert.Equal(Expected, sealedCounts.Sum());
        Assert.Equal(Enumerable.Range(1, Expected).Select(p => (long)p), sealedRows.Select(e => e.ChainPosition!.Value));
        Assert.Equal(appended.Order(), sealedRows.Select(e => e.RecordId).Order());
        using (var context = new AuditDbContext(_store.Options))
        {
            Assert.Equal(0, context.Entries.Count(e => e.ChainPosition == null));
        }

        AuditVerificationResult verification = await _store.VerifyAsync(batchSize: 100);
        Assert.True(verification.IsValid, verification.Problem?.ToString());
        Assert.Equal(Expected, verification.RecordsVerified);
        Assert.Equal(_store.Checkpoints().Count, verification.CheckpointsVerified);
    }
}

public sealed class SqliteAuditSealerTests() : AuditSealerTests("sqlite");

public sealed class PostgresAuditSealerTests() : AuditSealerTests("postgres");
