namespace Hipaa.Auditing;

/// <summary>
/// Appends audit records from outside EF Core (an ASP.NET Core refusal, an application event) to the audit trail.
/// <c>AddQueryAuditing()</c> registers one over the audit store; EF Core's own capture writes there directly.
/// </summary>
public interface IAuditSink
{
    /// <summary>Stores <paramref name="records"/> durably; the task completes once they are committed.</summary>
    /// <param name="records">The records to append.</param>
    /// <param name="cancellationToken">Stops waiting (the records may still be written).</param>
    /// <returns>A task that completes when the records are stored.</returns>
    /// <exception cref="AuditUnavailableException">The audit store did not take the records.</exception>
    Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default);
}
