using Hipaa.Cli.Tests.Policy;

namespace Hipaa.Cli.Tests.Audit;

/// <summary>
/// <c>hipaa audit verify</c>: exit 0 on an intact trail; exit 1 naming the first broken record for each kind of tampering;
/// 2 for bad input; 3 when the store cannot be read. 5 seals of 4 records: positions 1..20, checkpoints at 4, 8 … 20.
/// </summary>
public abstract class AuditVerifyCommandTests : IDisposable
{
    private readonly AuditTrailDatabase _database;

    protected AuditVerifyCommandTests(string provider) => _database = new AuditTrailDatabase(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Verify_IntactTrailWithPublicKey_ExitsZeroAndSaysWhatWasChecked()
    {
        await _database.SealAsync(batches: 5, perBatch: 4);
        _database.Append(2);

        CliRun run = CliRun.Of(["audit", "verify", .. _database.Store, "--public-key", _database.PublicKeyPath]);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("Audit trail verified: 20 records (positions 1..20), 5 checkpoints", run.Output, StringComparison.Ordinal);
        Assert.Contains("Anchored: checkpoint signatures checked with trusted key(s)", run.Output, StringComparison.Ordinal);
        Assert.Contains("2 records await sealing", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_IntactTrailWithoutPublicKeyOrCheckpointFile_ExitsFourUnanchored()
    {
        await _database.SealAsync(batches: 2, perBatch: 4);

        CliRun run = CliRun.Of(["audit", "verify", .. _database.Store]);

        Assert.Equal(4, run.ExitCode);
        Assert.Contains("Audit trail NOT verified: the chain is consistent but UNANCHORED. Unanchored at position 1", run.Error, StringComparison.Ordinal);
        Assert.Contains("--public-key", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Audit trail verified", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_UnanchoredTrailAcceptedInsecurely_ExitsZeroAndWarnsLoudly()
    {
        await _database.SealAsync(batches: 2, perBatch: 4);

        CliRun run = CliRun.Of(["audit", "verify", .. _database.Store, "--insecure-accept-unanchored"]);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("Audit trail verified: 8 records", run.Output, StringComparison.Ordinal);
        Assert.Contains("UNANCHORED", run.Output, StringComparison.Ordinal);
        Assert.Contains("warning: INSECURE", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_TrailAnchoredByCheckpointFileOnly_ExitsZeroAndSaysSignaturesWereNotChecked()
    {
        await _database.SealAsync(batches: 2, perBatch: 4);
        string checkpoints = ExportCheckpoints();

        CliRun run = CliRun.Of(["audit", "verify", .. _database.Store, "--checkpoints", checkpoints]);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("Anchored: the exported checkpoints cover the head (position 8)", run.Output, StringComparison.Ordinal);
        Assert.Contains("signatures were NOT checked", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_EmptyTrail_ExitsOneSayingTheTrailIsEmpty()
    {
        CliRun run = CliRun.Of(["audit", "verify", .. _database.Store, "--public-key", _database.PublicKeyPath]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Audit trail verification FAILED: EmptyTrail at position 1", run.Error, StringComparison.Ordinal);
        Assert.Contains("--allow-empty-trail", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_EmptyTrailAllowedAsNew_ExitsZero()
    {
        _database.Append(1);

        CliRun run = CliRun.Of(["audit", "verify", .. _database.Store, "--allow-empty-trail"]);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("Audit trail verified: it is empty", run.Output, StringComparison.Ordinal);
        Assert.Contains("1 records await sealing", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_EveryRowWipedButCheckpointFileKept_ExitsOneTruncatedEvenWhenEmptyIsAllowed()
    {
        await _database.SealAsync(batches: 5, perBatch: 4);
        string checkpoints = ExportCheckpoints();
        _database.Execute("DELETE FROM hipaa_audit");
        _database.Execute("DELETE FROM hipaa_audit_checkpoints");

        CliRun run = CliRun.Of(["audit", "verify", .. _database.Store, "--checkpoints", checkpoints, "--allow-empty-trail"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Audit trail verification FAILED: Truncated at position 1", run.Error, StringComparison.Ordinal);
        Assert.Contains("exported file checkpoints.jsonl", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_CheckpointTableEmptied_ExitsOneCheckpointsDeleted()
    {
        await _database.SealAsync(batches: 2, perBatch: 4);
        _database.Execute("DELETE FROM hipaa_audit_checkpoints");

        CliRun run = CliRun.Of(["audit", "verify", .. _database.Store, "--public-key", _database.PublicKeyPath]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Audit trail verification FAILED: CheckpointsDeleted at position 1", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_ChainRewrittenAndResignedByAttacker_IsUnanchoredWithoutKeyAndInvalidWithTheOperatorsKey()
    {
        await _database.SealAsync(batches: 3, perBatch: 4);
        _database.RewriteAndResign(Path.Combine(_database.Directory, "attacker.pem"));

        CliRun withoutKey = CliRun.Of(["audit", "verify", .. _database.Store]);
        CliRun withKey = CliRun.Of(["audit", "verify", .. _database.Store, "--public-key", _database.PublicKeyPath]);

        Assert.Equal(4, withoutKey.ExitCode);
        Assert.Contains("UNANCHORED", withoutKey.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Audit trail verified", withoutKey.Output, StringComparison.Ordinal);
        Assert.Equal(1, withKey.ExitCode);
        Assert.Contains("Audit trail verification FAILED: CheckpointSignatureInvalid at position 4", withKey.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("edit", "EditedRecord at position 7")]
    [InlineData("delete", "DeletedRecord at position 10")]
    [InlineData("insert", "InsertedRecord at position 10")]
    [InlineData("reorder", "ReorderedRecord at position 5")]
    [InlineData("truncate", "Truncated at position 15")]
    public async Task Verify_TamperedTrail_ExitsOneNamingTheFirstBrokenRecord(string tampering, string expected)
    {
        await _database.SealAsync(batches: 5, perBatch: 4);
        Guid? recordId = _database.Tamper(tampering);

        CliRun run = CliRun.Of(["audit", "verify", .. _database.Store, "--public-key", _database.PublicKeyPath]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Audit trail verification FAILED: " + expected, run.Error, StringComparison.Ordinal);
        if (recordId is { } id)
        {
            Assert.Contains($"(record {id})", run.Error, StringComparison.Ordinal);
        }

        Assert.Empty(run.Output);
    }

    [Fact]
    public async Task Verify_TailAndCheckpointsDeleted_OnlyTheExportedCheckpointFileReveals()
    {
        await _database.SealAsync(batches: 5, perBatch: 4);
        string checkpoints = Path.Combine(_database.Directory, "checkpoints.jsonl");
        CliRun export = CliRun.Of(["audit", "checkpoints", "export", .. _database.Store, "--out", checkpoints]);
        _database.Execute("DELETE FROM hipaa_audit WHERE chain_position > 12");
        _database.Execute("DELETE FROM hipaa_audit_checkpoints WHERE position > 12");

        CliRun withoutFile = CliRun.Of(["audit", "verify", .. _database.Store, "--public-key", _database.PublicKeyPath]);
        CliRun withFile = CliRun.Of(["audit", "verify", .. _database.Store, "--public-key", _database.PublicKeyPath, "--checkpoints", checkpoints]);

        Assert.Equal(0, export.ExitCode);
        Assert.Contains("Exported 5 checkpoints", export.Output, StringComparison.Ordinal);
        Assert.Equal(0, withoutFile.ExitCode);
        Assert.Equal(1, withFile.ExitCode);
        Assert.Contains("Truncated at position 13", withFile.Error, StringComparison.Ordinal);
        Assert.Contains("exported file checkpoints.jsonl", withFile.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_CheckpointSignatureForgedOrKeyUntrusted_ExitsOne()
    {
        await _database.SealAsync(batches: 3, perBatch: 4);
        string otherKey = Path.Combine(_database.Directory, "other.pem");
        CliRun otherPublic = CliRun.Of(["audit", "public-key", "--signing-key", otherKey]);
        File.WriteAllText(otherKey + ".pub", otherPublic.Output);

        CliRun untrusted = CliRun.Of(["audit", "verify", .. _database.Store, "--public-key", otherKey + ".pub"]);
        _database.Execute("UPDATE hipaa_audit_checkpoints SET head_hash = (SELECT hash FROM hipaa_audit WHERE chain_position = 7) WHERE position = 8");
        CliRun forged = CliRun.Of(["audit", "verify", .. _database.Store, "--public-key", _database.PublicKeyPath]);

        Assert.Equal(0, otherPublic.ExitCode);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", otherPublic.Output, StringComparison.Ordinal);
        Assert.Equal(1, untrusted.ExitCode);
        Assert.Contains("CheckpointSignatureInvalid at position 4", untrusted.Error, StringComparison.Ordinal);
        Assert.Equal(1, forged.ExitCode);
        Assert.Contains("CheckpointSignatureInvalid at position 8", forged.Error, StringComparison.Ordinal);
    }

    private string ExportCheckpoints()
    {
        string checkpoints = Path.Combine(_database.Directory, "checkpoints.jsonl");
        CliRun export = CliRun.Of(["audit", "checkpoints", "export", .. _database.Store, "--out", checkpoints]);
        Assert.True(export.ExitCode == 0, export.Error);
        return checkpoints;
    }

    [Fact]
    public void Verify_BadInput_ExitsTwoWithTheReason()
    {
        CliRun missingFile = CliRun.Of(["audit", "verify", .. _database.Store, "--checkpoints", Path.Combine(_database.Directory, "none.jsonl")]);
        CliRun privateKey = CliRun.Of(["audit", "verify", .. _database.Store, "--public-key", _database.KeyPath]);
        CliRun badProvider = CliRun.Of(["audit", "verify", "--connection", "x", "--provider", "oracle"]);
        CliRun noConnection = CliRun.Of(["audit", "verify", "--provider", "sqlite"]);

        Assert.Equal(2, missingFile.ExitCode);
        Assert.Contains("none.jsonl", missingFile.Error, StringComparison.Ordinal);
        Assert.Equal(2, privateKey.ExitCode);
        Assert.Contains("PRIVATE key", privateKey.Error, StringComparison.Ordinal);
        Assert.Equal(2, badProvider.ExitCode);
        Assert.Contains("oracle", badProvider.Error, StringComparison.Ordinal);
        Assert.Equal(2, noConnection.ExitCode);
        Assert.Contains("--connection", noConnection.Error, StringComparison.Ordinal);
    }
}

public sealed class SqliteAuditVerifyCommandTests() : AuditVerifyCommandTests("sqlite")
{
    [Fact]
    public void Verify_DatabaseWithoutAuditTables_ExitsThree()
    {
        string empty = Path.Combine(Path.GetTempPath(), "hipaa-empty-" + Guid.NewGuid().ToString("N") + ".db");
        try
        {
            CliRun run = CliRun.Of(["audit", "verify", "--connection", $"Data Source={empty}", "--provider", "sqlite"]);

            Assert.Equal(3, run.ExitCode);
            Assert.Contains("no such table: hipaa_audit", run.Error, StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(empty);
        }
    }
}

public sealed class PostgresAuditVerifyCommandTests() : AuditVerifyCommandTests("postgres");
