using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Auditing.Integrity;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Auditing.Integrity;

/// <summary>
/// Each kind of tampering an attacker with write access to the database can do is detected and located: 5 seals of 4 records
/// give positions 1..20 with checkpoints at 4, 8, 12, 16 and 20.
/// </summary>
public abstract class AuditVerifierTests : IDisposable
{
    private readonly AuditStore _store;

    protected AuditVerifierTests(string provider) => _store = new AuditStore(provider);

    public void Dispose()
    {
        _store.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task VerifyAsync_EmptyStore_ReportsEmptyTrail()
    {
        AuditVerificationResult result = await _store.VerifyAsync();

        AuditChainProblem problem = AssertProblem(result, AuditChainProblemKind.EmptyTrail, 1);
        Assert.Contains("the trail is empty", problem.Message, StringComparison.Ordinal);
        Assert.True(result.IsEmpty);
        Assert.Equal(0, result.RecordsVerified);
    }

    [Fact]
    public async Task VerifyAsync_EveryRecordAndCheckpointDeleted_ReportsEmptyTrail()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);
        _store.Append(1);

        _store.Sql("DELETE FROM hipaa_audit WHERE chain_position IS NOT NULL");
        _store.Sql("DELETE FROM hipaa_audit_checkpoints");
        AuditVerificationResult result = await _store.VerifyAsync();

        AssertProblem(result, AuditChainProblemKind.EmptyTrail, 1);
        Assert.Equal(1, result.UnsealedRecords);
    }

    [Fact]
    public async Task VerifyAsync_EmptyTrailAcceptedAsNew_IsValid()
    {
        _store.Append(2);

        AuditVerificationResult result = await _store.VerifyAsync(allowEmptyTrail: true);

        Assert.True(result.IsValid, result.Problem?.ToString());
        Assert.True(result.IsEmpty);
        Assert.False(result.IsAnchored);
        Assert.Equal(2, result.UnsealedRecords);
    }

    [Fact]
    public async Task VerifyAsync_EveryRowDeletedButCheckpointFileKept_ReportsTruncationEvenWhenEmptyIsAllowed()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);
        var exported = await _store.ExportCheckpointsAsync();

        _store.Sql("DELETE FROM hipaa_audit");
        _store.Sql("DELETE FROM hipaa_audit_checkpoints");
        AuditVerificationResult withoutKey = await _store.VerifyAsync(exported, checkSignatures: false, allowEmptyTrail: true);
        AuditVerificationResult withKey = await _store.VerifyAsync(exported, allowEmptyTrail: true);

        foreach (AuditVerificationResult result in (AuditVerificationResult[])[withoutKey, withKey])
        {
            AuditChainProblem problem = AssertProblem(result, AuditChainProblemKind.Truncated, 1);
            Assert.Contains("exported file checkpoints.jsonl", problem.Message, StringComparison.Ordinal);
            Assert.Contains("no sealed records", problem.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task VerifyAsync_CheckpointTableEmptied_ReportsDeletedCheckpoints()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);

        _store.Sql("DELETE FROM hipaa_audit_checkpoints");
        AuditVerificationResult withKey = await _store.VerifyAsync();
        AuditVerificationResult withoutKey = await _store.VerifyAsync(checkSignatures: false, insecureAcceptUnanchored: true);

        AuditChainProblem problem = AssertProblem(withKey, AuditChainProblemKind.CheckpointsDeleted, 1);
        Assert.Contains("positions 1..20", problem.Message, StringComparison.Ordinal);
        AssertProblem(withoutKey, AuditChainProblemKind.CheckpointsDeleted, 1);
    }

    [Fact]
    public async Task VerifyAsync_IntactChainWithoutKeyOrExport_ReportsUnanchored()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);

        AuditVerificationResult result = await _store.VerifyAsync(checkSignatures: false);

        AuditChainProblem problem = AssertProblem(result, AuditChainProblemKind.Unanchored, 1);
        Assert.Contains("public key", problem.Message, StringComparison.Ordinal);
        Assert.False(result.IsAnchored);
        Assert.Equal(0, result.AnchoredThrough);
        Assert.Equal(20, result.RecordsVerified);
        Assert.Equal(5, result.CheckpointsVerified);
    }

    [Fact]
    public async Task VerifyAsync_UnanchoredChainAcceptedInsecurely_IsValidButNotAnchored()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);

        AuditVerificationResult result = await _store.VerifyAsync(checkSignatures: false, insecureAcceptUnanchored: true);

        Assert.True(result.IsValid, result.Problem?.ToString());
        Assert.False(result.IsAnchored);
        Assert.False(result.SignaturesChecked);
    }

    [Fact]
    public async Task VerifyAsync_ChainRewrittenAndResignedWithAttackerKeyWithoutPublicKey_IsNotVerified()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);
        RewriteAndResign();

        AuditVerificationResult withoutKey = await _store.VerifyAsync(checkSignatures: false);
        AuditVerificationResult withOperatorKey = await _store.VerifyAsync();

        AuditChainProblem problem = AssertProblem(withoutKey, AuditChainProblemKind.Unanchored, 1);
        Assert.False(withoutKey.IsAnchored);
        Assert.Contains("re-sign", problem.Message, StringComparison.Ordinal);
        AssertProblem(withOperatorKey, AuditChainProblemKind.CheckpointSignatureInvalid, 4);
    }

    [Fact]
    public async Task VerifyAsync_ChainRewrittenAndResignedButExportedCheckpointsKept_ReportsMismatchWithoutKey()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);
        var exported = await _store.ExportCheckpointsAsync();
        RewriteAndResign();

        AuditVerificationResult result = await _store.VerifyAsync(exported, checkSignatures: false);

        Assert.False(result.IsValid);
        Assert.Contains("exported file", result.Problem!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAsync_NoKeyButExportedCheckpointsCoverTheHead_IsAnchored()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);
        var exported = await _store.ExportCheckpointsAsync();

        AuditVerificationResult result = await _store.VerifyAsync(exported, checkSignatures: false);

        Assert.True(result.IsValid, result.Problem?.ToString());
        Assert.True(result.IsAnchored);
        Assert.Equal(20, result.AnchoredThrough);
    }

    [Fact]
    public async Task VerifyAsync_NoKeyAndExportOlderThanTheHead_ReportsUnanchoredBeyondTheExport()
    {
        await _store.AppendAndSealAsync(batches: 3, perBatch: 4);
        var exported = await _store.ExportCheckpointsAsync();
        await _store.AppendAndSealAsync(batches: 2, perBatch: 4);

        AuditVerificationResult result = await _store.VerifyAsync(exported, checkSignatures: false);

        AuditChainProblem problem = AssertProblem(result, AuditChainProblemKind.Unanchored, 13);
        Assert.Contains("positions 13..20", problem.Message, StringComparison.Ordinal);
        Assert.Equal(12, result.AnchoredThrough);
    }

    [Fact]
    public async Task VerifyAsync_CleanChain_IsValidAndCountsEverything()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);
        _store.Append(3);

        AuditVerificationResult result = await _store.VerifyAsync();

        Assert.True(result.IsValid, result.Problem?.ToString());
        Assert.Equal(20, result.RecordsVerified);
        Assert.Equal(1, result.FirstPosition);
        Assert.Equal(20, result.LastPosition);
        Assert.Equal(5, result.CheckpointsVerified);
        Assert.True(result.SignaturesChecked);
        Assert.Equal(3, result.UnsealedRecords);
        Assert.True(result.IsAnchored);
        Assert.Equal(20, result.AnchoredThrough);
        Assert.False(result.IsEmpty);
    }

    [Fact]
    public async Task VerifyAsync_CleanChainWithExportedCheckpoints_ChecksBothCopies()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);
        var exported = await _store.ExportCheckpointsAsync();

        AuditVerificationResult result = await _store.VerifyAsync(exported);

        Assert.True(result.IsValid, result.Problem?.ToString());
        Assert.Equal(10, result.CheckpointsVerified);
    }

    [Fact]
    public async Task VerifyAsync_EditedRecord_ReportsEditAtItsPosition()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);
        AuditEntry victim = _store.Sealed()[6];

        _store.Sql("UPDATE hipaa_audit SET actor_id = 'u-someone-else' WHERE chain_position = 7");
        AuditVerificationResult result = await _store.VerifyAsync();

        AuditChainProblem problem = AssertProblem(result, AuditChainProblemKind.EditedRecord, 7);
        Assert.Equal(victim.RecordId, problem.RecordId);
        Assert.Equal(6, result.RecordsVerified);
    }

    [Fact]
    public async Task VerifyAsync_EditedRecordWithRecomputedHash_ReportsEditAtItsPosition()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);
        AuditEntry victim = _store.Sealed()[6];
        victim.ActorId = "u-someone-else";
        byte[] forgedHash = AuditRecordHasher.ComputeHash(victim.PreviousHash, 7, victim);

        _store.Sql(
            "UPDATE hipaa_audit SET actor_id = 'u-someone-else', hash = @hash WHERE chain_position = 7",
            ("@hash", forgedHash));
        AuditVerificationResult result = await _store.VerifyAsync();

        AuditChainProblem problem = AssertProblem(result, AuditChainProblemKind.EditedRecord, 7);
        Assert.Equal(victim.RecordId, problem.RecordId);
        Assert.Contains("recomputed", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAsync_EditedRecordAtCheckpointWithRecomputedHash_ReportsEditAtItsPosition()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);
        AuditEntry victim = _store.Sealed()[7];
        victim.PatientId = "patient-9";
        byte[] forgedHash = AuditRecordHasher.ComputeHash(victim.PreviousHash, 8, victim);

        _store.Sql(
            "UPDATE hipaa_audit SET patient_id = 'patient-9', hash = @hash WHERE chain_position = 8",
            ("@hash", forgedHash));
        AuditVerificationResult result = await _store.VerifyAsync();

        AuditChainProblem problem = AssertProblem(result, AuditChainProblemKind.EditedRecord, 8);
        Assert.Equal(victim.RecordId, problem.RecordId);
    }

    [Fact]
    public async Task VerifyAsync_DeletedRecord_ReportsTheMissingPosition()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);

        _store.Sql("DELETE FROM hipaa_audit WHERE chain_position = 10");
        AuditVerificationResult result = await _store.VerifyAsync();

        AuditChainProblem problem = AssertProblem(result, AuditChainProblemKind.DeletedRecord, 10);
        Assert.Null(problem.RecordId);
        Assert.Contains("position 10 is missing", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAsync_DeletedRecordWithLaterRecordsRenumbered_ReportsTheDeletion()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);

        _store.Sql("DELETE FROM hipaa_audit WHERE chain_position = 10");
        for (long position = 11; position <= 20; position++)
        {
            _store.MovePosition(position, position - 1);
        }

        AuditVerificationResult result = await _store.VerifyAsync();

        AssertProblem(result, AuditChainProblemKind.DeletedRecord, 10);
    }

    [Fact]
    public async Task VerifyAsync_RecordAppendedBeyondTheNewestCheckpoint_ReportsInsertion()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);
        AuditEntry head = _store.Sealed()[^1];

        AuditEntry forged = Forge(position: 21, previousHash: head.Hash!);
        AuditVerificationResult result = await _store.VerifyAsync();

        AuditChainProblem problem = AssertProblem(result, AuditChainProblemKind.InsertedRecord, 21);
        Assert.Equal(forged.RecordId, problem.RecordId);
        Assert.Equal(20, result.RecordsVerified);
    }

    [Fact]
    public async Task VerifyAsync_RecordInsertedInTheMiddle_ReportsInsertionAtItsPosition()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);
        AuditEntry ninth = _store.Sealed()[8];
        for (long position = 20; position >= 10; position--)
        {
            _store.MovePosition(position, position + 1);
        }

        AuditEntry forged = Forge(position: 10, previousHash: ninth.Hash!);
        AuditVerificationResult result = await _store.VerifyAsync();

        AuditChainProblem problem = AssertProblem(result, AuditChainProblemKind.InsertedRecord, 10);
        Assert.Equal(forged.RecordId, problem.RecordId);
    }

    [Fact]
    public async Task VerifyAsync_TwoRecordsSwapped_ReportsReorderAtTheFirst()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);
        List<AuditEntry> sealedRows = _store.Sealed();

        _store.SwapPositions(5, 6);
        AuditVerificationResult result = await _store.VerifyAsync();

        AuditChainProblem problem = AssertProblem(result, AuditChainProblemKind.ReorderedRecord, 5);
        Assert.Equal(sealedRows[5].RecordId, problem.RecordId);
        Assert.Contains(sealedRows[4].RecordId.ToString(), problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAsync_TailDeletedButCheckpointsKept_ReportsTruncation()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);

        _store.Sql("DELETE FROM hipaa_audit WHERE chain_position >= 15");
        AuditVerificationResult result = await _store.VerifyAsync();

        AuditChainProblem problem = AssertProblem(result, AuditChainProblemKind.Truncated, 15);
        Assert.Contains("covers position 16", problem.Message, StringComparison.Ordinal);
        Assert.Equal(14, result.RecordsVerified);
    }

    [Fact]
    public async Task VerifyAsync_TailAndItsCheckpointsDeleted_OnlyTheExportedCheckpointsReveal()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);
        var exported = await _store.ExportCheckpointsAsync();

        _store.Sql("DELETE FROM hipaa_audit WHERE chain_position > 12");
        _store.Sql("DELETE FROM hipaa_audit_checkpoints WHERE position > 12");
        AuditVerificationResult databaseOnly = await _store.VerifyAsync();
        AuditVerificationResult withExport = await _store.VerifyAsync(exported);

        Assert.True(databaseOnly.IsValid, databaseOnly.Problem?.ToString());
        AuditChainProblem problem = AssertProblem(withExport, AuditChainProblemKind.Truncated, 13);
        Assert.Contains("exported file", problem.Message, StringComparison.Ordinal);
        Assert.Contains("covers position 16", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAsync_CheckpointSignatureAltered_ReportsInvalidSignatureWithKeyAndUnanchoredWithout()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);
        byte[] signature = _store.Checkpoints().Single(c => c.Position == 8).Signature;
        signature[10] ^= 0x01;

        _store.Sql("UPDATE hipaa_audit_checkpoints SET signature = @s WHERE position = 8", ("@s", signature));
        AuditVerificationResult withKey = await _store.VerifyAsync();
        AuditVerificationResult withoutKey = await _store.VerifyAsync(checkSignatures: false);

        AssertProblem(withKey, AuditChainProblemKind.CheckpointSignatureInvalid, 8);
        AssertProblem(withoutKey, AuditChainProblemKind.Unanchored, 1);
        Assert.False(withoutKey.SignaturesChecked);
    }

    [Fact]
    public async Task VerifyAsync_ExportedCheckpointAltered_ReportsInvalidSignature()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);
        var exported = (await _store.ExportCheckpointsAsync()).ToList();
        exported[1] = exported[1] with { CreatedAt = exported[1].CreatedAt.AddDays(1) };

        AuditVerificationResult result = await _store.VerifyAsync(exported);

        AuditChainProblem problem = AssertProblem(result, AuditChainProblemKind.CheckpointSignatureInvalid, 8);
        Assert.Contains("exported file", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAsync_WholeChainRewrittenWithRecomputedHashes_ReportsCheckpointMismatch()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);
        using (var context = new AuditDbContext(_store.Options))
        {
            List<AuditEntry> rows = [.. context.Entries.OrderBy(e => e.ChainPosition)];
            rows[2].ActorId = "u-someone-else";
            byte[] previous = rows[1].Hash!;
            foreach (AuditEntry row in rows.Skip(2))
            {
                row.PreviousHash = previous;
                row.Hash = AuditRecordHasher.ComputeHash(previous, row.ChainPosition!.Value, row);
                previous = row.Hash;
            }

            context.SaveChanges();
        }

        AuditVerificationResult result = await _store.VerifyAsync();

        AssertProblem(result, AuditChainProblemKind.CheckpointMismatch, 4);
    }

    [Fact]
    public async Task VerifyAsync_ChainRewrittenAndCheckpointsResignedWithAnotherKey_ReportsInvalidSignature()
    {
        await _store.AppendAndSealAsync(batches: 5, perBatch: 4);
        RewriteAndResign();

        AuditVerificationResult result = await _store.VerifyAsync();

        AssertProblem(result, AuditChainProblemKind.CheckpointSignatureInvalid, 4);
    }

    [Fact]
    public async Task VerifyAsync_ChainColumnCleared_ReportsMalformedOrMissing()
    {
        await _store.AppendAndSealAsync(batches: 2, perBatch: 4);

        _store.Sql("UPDATE hipaa_audit SET previous_hash = NULL WHERE chain_position = 3");
        AuditVerificationResult result = await _store.VerifyAsync();

        AssertProblem(result, AuditChainProblemKind.MalformedRecord, 3);
    }

    [Fact]
    public async Task VerifyAsync_LongChainInSmallBatches_VerifiesEveryRecord()
    {
        await _store.AppendAndSealAsync(batches: 3, perBatch: 150);

        AuditVerificationResult result = await _store.VerifyAsync(batchSize: 64);

        Assert.True(result.IsValid, result.Problem?.ToString());
        Assert.Equal(450, result.RecordsVerified);
    }

    internal static AuditChainProblem AssertProblem(AuditVerificationResult result, AuditChainProblemKind kind, long position)
    {
        Assert.False(result.IsValid, "The tampering was not detected.");
        AuditChainProblem problem = result.Problem!;
        Assert.True(kind == problem.Kind && position == problem.Position, $"Expected {kind} at {position}, got {problem}");
        return problem;
    }

    /// <summary>
    /// Edits the record at position 3, recomputes every later hash and re-signs every checkpoint with a key of the attacker's own,
    /// keeping the genuine signer's key id on the rows: what someone with write access to the database can do.
    /// </summary>
    private void RewriteAndResign()
    {
        using var attacker = LocalDevelopmentCheckpointSigner.OpenOrCreate(Path.Combine(_store.KeyDirectory, "attacker.pem"));
        using var context = new AuditDbContext(_store.Options);
        List<AuditEntry> rows = [.. context.Entries.OrderBy(e => e.ChainPosition)];
        rows[2].ActorId = "u-someone-else";
        byte[] previous = rows[1].Hash!;
        foreach (AuditEntry row in rows.Skip(2))
        {
            row.PreviousHash = previous;
            row.Hash = AuditRecordHasher.ComputeHash(previous, row.ChainPosition!.Value, row);
            previous = row.Hash;
        }

        foreach (AuditCheckpointEntry checkpoint in context.Checkpoints)
        {
            checkpoint.HeadHash = rows.Single(r => r.ChainPosition == checkpoint.Position).Hash!;
            checkpoint.SignerKeyId = _store.Signer.KeyId;
            checkpoint.Signature = attacker.Sign(AuditCheckpoint.SignedBytes(checkpoint.Position, checkpoint.HeadHash, checkpoint.CreatedAt));
        }

        context.SaveChanges();
    }

    /// <summary>Writes a sealed row an attacker made up, with a correctly computed hash (the algorithm is public).</summary>
    private AuditEntry Forge(long position, byte[] previousHash)
    {
        AuditEntry forged = AuditEntry.From(AuditStore.Record(999, patientId: "patient-forged"));
        forged.ChainPosition = position;
        forged.PreviousHash = previousHash;
        forged.Hash = AuditRecordHasher.ComputeHash(previousHash, position, forged);
        forged.SealedAt = AuditStore.Start;
        using var context = new AuditDbContext(_store.Options);
        context.Entries.Add(forged);
        context.SaveChanges();
        return forged;
    }
}

public sealed class SqliteAuditVerifierTests() : AuditVerifierTests("sqlite");

public sealed class PostgresAuditVerifierTests() : AuditVerifierTests("postgres");
