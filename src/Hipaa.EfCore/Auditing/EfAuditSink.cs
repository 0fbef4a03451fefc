using Hipaa.Auditing;

namespace Hipaa.EfCore.Auditing;

/// <summary>The audit sink over the EF audit store: records go through the same group-commit writer as EF's read records.</summary>
internal sealed class EfAuditSink(AuditRuntime runtime) : IAuditSink
{
    public Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        return records.Count == 0
            ? Task.CompletedTask
            : runtime.Writer.AppendAsync([.. records.Select(AuditEntry.From)]).WaitAsync(cancellationToken);
    }
}
