namespace Hipaa.Auditing;

/// <summary>When the audit records of a query's reads are committed, relative to handing the entities to the caller.</summary>
public enum ReadAuditCommit
{
    /// <summary>
    /// Fail-closed in every case: a query's record for a patient is committed before the first entity of that patient
    /// leaves EF Core, whether the caller buffers (<c>ToList</c>) or streams (<c>foreach</c>, <c>AsAsyncEnumerable</c>)
    /// the results. A query that returns N patients waits for N group commits, one after the other.
    /// </summary>
    PerPatient,

    /// <summary>
    /// All records of a query are committed together, in one group commit, when its data reader closes: before
    /// <c>ToList</c>, <c>ToArray</c>, <c>First</c>, <c>Single</c>, <c>Load</c> and the other buffering operators return,
    /// so those stay fail-closed and a query over N patients waits once. A query the caller streams one entity at a time
    /// (<c>foreach</c> over the query, <c>AsAsyncEnumerable</c>) hands entities out before their records are committed:
    /// should the audit store fail, the enumeration then ends with an <c>AuditUnavailableException</c>, after the caller
    /// has seen those rows. Choose this only where every PHI query is buffered (or that trade-off is accepted in writing).
    /// </summary>
    PerQuery,

    /// <summary>
    /// The default, and fail-closed in every case: a query reads ahead up to
    /// <see cref="QueryAuditingOptions.ReadAheadRows"/> results (1,000 by default), commits the records of all of them in one
    /// group commit, and only then hands the first of them out. A buffered query (<c>ToListAsync</c>, <c>SingleAsync</c>,
    /// <c>CountAsync</c>, …) of up to that many rows makes one audit commit however many patients it returns; a streamed one
    /// (<c>await foreach</c>) one commit per batch, and holds one batch of results in memory. Nothing is returned whose
    /// record is not durable; if the store fails, nothing of that batch is returned.
    /// </summary>
    PerBatch,
}
