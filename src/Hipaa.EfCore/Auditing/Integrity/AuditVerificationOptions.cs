namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>What <see cref="AuditVerifier"/> checks the chain against, beyond the database itself.</summary>
/// <remarks>
/// A chain is <em>anchored</em> when something the database cannot forge vouches for its head: <see cref="Signatures"/> (the
/// operator's public key, or the configured signer through <see cref="CheckpointSignatureVerifier.FromSigner"/>) verifies its
/// checkpoints, or an <see cref="ExportedCheckpoints">exported checkpoint</see> matches the head. Key ids and signatures stored in
/// the database are never trusted on their own. An unanchored chain is reported as <see cref="AuditChainProblemKind.Unanchored"/>.
/// </remarks>
internal sealed class AuditVerificationOptions
{
    /// <summary>
    /// Gets the trusted public keys; <see langword="null"/> (the default) leaves checkpoint signatures unchecked, and the chain is then
    /// anchored only as far as <see cref="ExportedCheckpoints"/> reach.
    /// </summary>
    public CheckpointSignatureVerifier? Signatures { get; init; }

    /// <summary>
    /// Gets checkpoints kept outside the database (<see cref="AuditCheckpointFile"/>); they catch truncation that the database hides,
    /// and anchor the chain up to the newest of them that matches it.
    /// </summary>
    public IReadOnlyList<AuditCheckpoint> ExportedCheckpoints { get; init; } = [];

    /// <summary>
    /// Gets the retention period a purged prefix must respect: the checkpoint anchoring the start of the chain must be older.
    /// Defaults to <see cref="AuditRetention.MinimumRetentionPeriod"/>.
    /// </summary>
    public TimeSpan RetentionPeriod { get; init; } = AuditRetention.MinimumRetentionPeriod;

    /// <summary>Gets how many rows are read per query (default 2,000); memory use is bounded by it, not by the chain's length.</summary>
    public int BatchSize { get; init; } = 2_000;

    /// <summary>
    /// Gets a value indicating whether a trail with no sealed record and no checkpoint in the database verifies, as a trail that is
    /// new. Default <see langword="false"/>: it is reported as <see cref="AuditChainProblemKind.EmptyTrail"/>, since deleting every
    /// row looks the same. An <see cref="ExportedCheckpoints">exported checkpoint</see> still reports an emptied trail as
    /// <see cref="AuditChainProblemKind.Truncated"/>.
    /// </summary>
    public bool AllowEmptyTrail { get; init; }

    /// <summary>
    /// Gets a value indicating whether a consistent chain that nothing outside the database vouches for verifies anyway. Default
    /// <see langword="false"/>: it is reported as <see cref="AuditChainProblemKind.Unanchored"/>. INSECURE: with it, a chain rewritten
    /// and re-signed by someone with write access to the database verifies; <see cref="AuditVerificationResult.IsAnchored"/> still
    /// says whether the chain was anchored.
    /// </summary>
    public bool InsecureAcceptUnanchored { get; init; }
}
