namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>The first problem <see cref="AuditVerifier"/> found, located in the chain.</summary>
/// <param name="Kind">What kind of change it is.</param>
/// <param name="Position">The chain position where the problem is.</param>
/// <param name="RecordId">The audit record at that position, when one is there.</param>
/// <param name="Message">A full sentence saying what was found and where; it contains no record contents.</param>
internal sealed record AuditChainProblem(AuditChainProblemKind Kind, long Position, Guid? RecordId, string Message)
{
    /// <inheritdoc />
    public override string ToString() => RecordId is { } id
        ? $"{Kind} at position {Position} (record {id}): {Message}"
        : $"{Kind} at position {Position}: {Message}";
}
