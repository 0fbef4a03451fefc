using Hipaa.Auditing;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// One row of the audit table <c>hipaa_audit</c> (docs/audit.md). Rows are appended by the capture interceptors with the
/// chain columns empty; the sealer later gives each a <see cref="ChainPosition"/> and a <see cref="Hash"/> that chains it
/// to the previous one. Lists are stored as their items joined by <see cref="ListSeparator"/>.
/// </summary>
/// <remarks>
/// Not sealed on purpose: the type is mapped into the application's model, and EF Core's proxies
/// (<c>UseLazyLoadingProxies()</c>) refuse a model with a sealed entity type. The application's context only adds these
/// rows, never materializes them, so no proxy of it is ever created.
/// </remarks>
internal class AuditEntry
{
    public const char ListSeparator = '\u001f';

    /// <summary>Insertion order (store-generated). Not part of the hash: the chain order is the seal order.</summary>
    public long Id { get; set; }

    public Guid RecordId { get; set; }

    public DateTimeOffset OccurredAt { get; set; }

    public string ActorId { get; set; } = string.Empty;

    public string ActorRoles { get; set; } = string.Empty;

    public string? ClientApplication { get; set; }

    public string? PatientId { get; set; }

    public AuditAction Action { get; set; }

    public string Entity { get; set; } = string.Empty;

    public string Categories { get; set; } = string.Empty;

    public string Labels { get; set; } = string.Empty;

    public string Fields { get; set; } = string.Empty;

    public string RedactedFields { get; set; } = string.Empty;

    public string PurposeOfUse { get; set; } = string.Empty;

    public AuditOutcome Outcome { get; set; }

    public string? ClientAddress { get; set; }

    public string? RequestId { get; set; }

    public string? BreakGlassReason { get; set; }

    public string? Recipient { get; set; }

    public string? Description { get; set; }

    public string RecordKeys { get; set; } = string.Empty;

    public string? QueryFingerprint { get; set; }

    public int RowCount { get; set; }

    public string? Decision { get; set; }

    /// <summary>Position in the hash chain, from 1; null until sealed.</summary>
    public long? ChainPosition { get; set; }

    /// <summary>The hash of the previous sealed record (32 zero bytes for position 1); null until sealed.</summary>
    public byte[]? PreviousHash { get; set; }

    /// <summary>SHA-256 over the previous hash, the position and the canonical record; null until sealed.</summary>
    public byte[]? Hash { get; set; }

    public DateTimeOffset? SealedAt { get; set; }

    public static AuditEntry From(AuditRecord record) => new()
    {
        RecordId = record.RecordId,
        OccurredAt = record.OccurredAt.ToUniversalTime(),
        ActorId = record.ActorId,
        ActorRoles = Join(record.ActorRoles),
        ClientApplication = record.ClientApplication,
        PatientId = record.PatientId,
        Action = record.Action,
        Entity = record.Entity,
        Categories = Join(record.Categories),
        Labels = Join(record.Labels),
        Fields = Join(record.Fields),
        RedactedFields = Join(record.RedactedFields),
        PurposeOfUse = record.PurposeOfUse,
        Outcome = record.Outcome,
        ClientAddress = record.ClientAddress,
        RequestId = record.RequestId,
        BreakGlassReason = record.BreakGlassReason,
        Recipient = record.Recipient,
        Description = record.Description,
        RecordKeys = Join(record.RecordKeys),
        QueryFingerprint = record.QueryFingerprint,
        RowCount = record.RowCount,
        Decision = record.Decision,
    };

    public AuditRecord ToRecord() => new()
    {
        RecordId = RecordId,
        OccurredAt = OccurredAt,
        ActorId = ActorId,
        ActorRoles = Split(ActorRoles),
        ClientApplication = ClientApplication,
        PatientId = PatientId,
        Action = Action,
        Entity = Entity,
        Categories = Split(Categories),
        Labels = Split(Labels),
        Fields = Split(Fields),
        RedactedFields = Split(RedactedFields),
        PurposeOfUse = PurposeOfUse,
        Outcome = Outcome,
        ClientAddress = ClientAddress,
        RequestId = RequestId,
        BreakGlassReason = BreakGlassReason,
        Recipient = Recipient,
        Description = Description,
        RecordKeys = Split(RecordKeys),
        QueryFingerprint = QueryFingerprint,
        RowCount = RowCount,
        Decision = Decision,
    };

    private static string Join(IReadOnlyList<string> values) => values.Count == 0 ? string.Empty : string.Join(ListSeparator, values);

    private static string[] Split(string value) => value.Length == 0 ? [] : value.Split(ListSeparator);
}
