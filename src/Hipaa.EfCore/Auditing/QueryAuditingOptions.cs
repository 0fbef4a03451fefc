namespace Hipaa.Auditing;

/// <summary>Options of EF Core access auditing, registered with <c>services.AddHipaa().AddQueryAuditing(...)</c>.</summary>
public sealed class QueryAuditingOptions
{
    /// <summary>Gets or sets the largest number of read records written in one group commit. Defaults to 512.</summary>
    public int MaxBatchSize { get; set; } = 512;

    /// <summary>
    /// Gets or sets when a query's read records are committed: <see cref="ReadAuditCommit.PerBatch"/> (the default: once
    /// per batch of up to <see cref="ReadAheadRows"/> results, before any of them is returned),
    /// <see cref="ReadAuditCommit.PerPatient"/> (before each patient's first entity is returned) or
    /// <see cref="ReadAuditCommit.PerQuery"/> (once per query, when its reader closes: entities streamed with <c>foreach</c>
    /// leave before their records are committed).
    /// </summary>
    public ReadAuditCommit ReadAuditCommit { get; set; } = ReadAuditCommit.PerBatch;

    /// <summary>
    /// Gets or sets how many results a query reads ahead under <see cref="ReadAuditCommit.PerBatch"/> before it commits
    /// their records and hands them out. Defaults to 1,000: a page of up to that many rows makes one audit commit.
    /// </summary>
    public int ReadAheadRows { get; set; } = 1_000;

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
