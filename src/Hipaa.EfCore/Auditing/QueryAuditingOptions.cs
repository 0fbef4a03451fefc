namespace Hipaa.Auditing;

/// <summary>Options of EF Core access auditing, registered with <c>services.AddHipaa().AddQueryAuditing(...)</c>.</summary>
public sealed class QueryAuditingOptions
{
    /// <summary>Gets or sets the largest number of read records written in one group commit. Defaults to 512.</summary>
    public int MaxBatchSize { get; set; } = 512;

    /// <summary>
    /// Gets or sets when a query's read records are committed: <see cref="ReadAuditCommit.PerPatient"/> (the default:
    /// before each patient's first entity is returned, streamed or buffered) or <see cref="ReadAuditCommit.PerQuery"/> (once
    /// per query, when its reader closes: one wait instead of one per patient, but entities streamed with <c>foreach</c>
    /// leave before their records are committed).
    /// </summary>
    public ReadAuditCommit ReadAuditCommit { get; set; } = ReadAuditCommit.PerPatient;

    /// <summary>Gets or sets how often this instance seals new records into the hash chain. Defaults to 1 second.</summary>
    public TimeSpan SealInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the client application recorded when the access context names none.</summary>
    public string? ClientApplication { get; set; }

    /// <summary>
    /// DANGEROUS: when <see langword="true"/>, a read whose audit record cannot be stored is returned anyway (and the failure
    /// logged) instead of failing with <see cref="AuditUnavailableException"/>. An unaudited read of PHI is a HIPAA audit
    /// control failure (45 CFR 164.312(b)); leave this <see langword="false"/> (the default) unless a documented
    /// emergency procedure says otherwise. Writes are always audited in their own transaction, whatever this says.
    /// </summary>
    public bool DangerouslyReturnUnauditedReadsWhenAuditStoreIsDown { get; set; }
}
