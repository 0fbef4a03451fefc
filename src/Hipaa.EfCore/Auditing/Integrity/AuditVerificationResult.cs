namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>The outcome of <see cref="AuditVerifier.VerifyAsync"/>.</summary>
internal sealed record AuditVerificationResult
{
    /// <summary>
    /// Gets a value indicating whether the trail verified: no <see cref="Problem"/>. By default that means the chain is consistent
    /// <em>and</em> anchored (<see cref="IsAnchored"/>), or empty and accepted as new (<see cref="AuditVerificationOptions.AllowEmptyTrail"/>).
    /// </summary>
    public bool IsValid => Problem is null;

    /// <summary>Gets the number of sealed records whose hash and link were checked before verification stopped.</summary>
    public long RecordsVerified { get; init; }

    /// <summary>Gets the chain position of the first record present (1, or the first after a purged prefix); 0 when none.</summary>
    public long FirstPosition { get; init; }

    /// <summary>Gets the chain position of the last record checked; 0 when none.</summary>
    public long LastPosition { get; init; }

    /// <summary>Gets the number of checkpoints (database and exported) checked against the chain.</summary>
    public long CheckpointsVerified { get; init; }

    /// <summary>Gets a value indicating whether checkpoint signatures were checked (a public key was given).</summary>
    public bool SignaturesChecked { get; init; }

    /// <summary>Gets the number of rows appended but not yet sealed: not yet tamper-evident (docs/audit.md, "Sealing").</summary>
    public long UnsealedRecords { get; init; }

    /// <summary>
    /// Gets the newest chain position vouched for from outside the database: a checkpoint whose signature a trusted key verified, or
    /// an exported checkpoint that matched the chain; 0 when none.
    /// </summary>
    public long AnchoredThrough { get; init; }

    /// <summary>
    /// Gets a value indicating whether the whole chain up to its head is anchored (<see cref="AnchoredThrough"/> reaches the head).
    /// <see langword="false"/> for an empty trail, which has nothing to anchor.
    /// </summary>
    public bool IsAnchored { get; init; }

    /// <summary>Gets a value indicating whether the trail was empty: no sealed record and no checkpoint in the database.</summary>
    public bool IsEmpty { get; init; }

    /// <summary>Gets the first problem found, or <see langword="null"/> when the trail verified.</summary>
    public AuditChainProblem? Problem { get; init; }
}
