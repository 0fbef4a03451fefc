namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>The outcome of <see cref="AuditVerifier.VerifyAsync"/>.</summary>
internal sealed record AuditVerificationResult
{
    /// <summary>Gets a value indicating whether the chain verified: no <see cref="Problem"/>.</summary>
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

    /// <summary>Gets the first problem found, or <see langword="null"/> when the chain verified.</summary>
    public AuditChainProblem? Problem { get; init; }
}
