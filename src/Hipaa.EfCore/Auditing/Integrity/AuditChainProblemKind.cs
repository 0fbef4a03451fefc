namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>What kind of change <see cref="AuditVerifier"/> found (docs/audit.md, "Verification").</summary>
internal enum AuditChainProblemKind
{
    /// <summary>A sealed record's contents (or its hash, recomputed to hide an edit) no longer match what was sealed.</summary>
    EditedRecord = 1,

    /// <summary>A position is missing from the chain, or records were deleted and the later ones renumbered.</summary>
    DeletedRecord = 2,

    /// <summary>A record that was never sealed by the sealer sits in the chain (positions shifted, or beyond the newest checkpoint).</summary>
    InsertedRecord = 3,

    /// <summary>Sealed records were moved to other positions.</summary>
    ReorderedRecord = 4,

    /// <summary>Records were deleted from the end of the chain: a checkpoint (in the database or exported) covers more records than remain.</summary>
    Truncated = 5,

    /// <summary>A checkpoint's signature does not verify under any trusted public key.</summary>
    CheckpointSignatureInvalid = 6,

    /// <summary>A checkpoint's head hash differs from the chain's hash at that position.</summary>
    CheckpointMismatch = 7,

    /// <summary>A sealed row lacks its chain columns or has hashes of the wrong length.</summary>
    MalformedRecord = 8,

    /// <summary>The chain starts after a purged prefix, but the checkpoint anchoring the start is younger than the retention period.</summary>
    PrematurePurge = 9,

    /// <summary>
    /// The trail is empty: no sealed record and no checkpoint in the database (every row deleted, or a new trail). Accepted only with
    /// <see cref="AuditVerificationOptions.AllowEmptyTrail"/>.
    /// </summary>
    EmptyTrail = 10,

    /// <summary>Sealed records remain but every checkpoint is gone: the checkpoint table was emptied (each seal writes one).</summary>
    CheckpointsDeleted = 11,

    /// <summary>
    /// The chain is consistent, but nothing outside the database vouches for (part of) it: no trusted public key checked its checkpoints
    /// and no exported checkpoint covers its head, so a rewrite re-signed with another key would look the same
    /// (docs/audit.md, "Anchoring"). Not reported with <see cref="AuditVerificationOptions.InsecureAcceptUnanchored"/>.
    /// </summary>
    Unanchored = 12,

    /// <summary>
    /// The per-patient index of the records of several patients (<c>hipaa_audit_patients</c>) disagrees with their sealed patient
    /// lists: an index row was deleted (hiding an access from "who accessed this patient"), added, or its time changed.
    /// </summary>
    PatientIndexMismatch = 13,
}
