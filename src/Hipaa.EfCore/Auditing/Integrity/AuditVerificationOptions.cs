namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>What <see cref="AuditVerifier"/> checks the chain against, beyond the database itself.</summary>
internal sealed class AuditVerificationOptions
{
    /// <summary>Gets the trusted public keys; <see langword="null"/> (the default) leaves checkpoint signatures unchecked.</summary>
    public CheckpointSignatureVerifier? Signatures { get; init; }

    /// <summary>Gets checkpoints kept outside the database (<see cref="AuditCheckpointFile"/>); they catch truncation that the database hides.</summary>
    public IReadOnlyList<AuditCheckpoint> ExportedCheckpoints { get; init; } = [];

    /// <summary>
    /// Gets the retention period a purged prefix must respect: the checkpoint anchoring the start of the chain must be older.
    /// Defaults to <see cref="AuditRetention.MinimumRetentionPeriod"/>.
    /// </summary>
    public TimeSpan RetentionPeriod { get; init; } = AuditRetention.MinimumRetentionPeriod;

    /// <summary>Gets how many rows are read per query (default 2,000); memory use is bounded by it, not by the chain's length.</summary>
    public int BatchSize { get; init; } = 2_000;
}
