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

    /// <summary>
    /// The patients of a record written once for several patients (a page of a query), joined by
    /// <see cref="ListSeparator"/>, with <see cref="PatientId"/> null; empty otherwise. Indexed per patient in
    /// <c>hipaa_audit_patients</c> when the record is sealed (<see cref="AuditPatientEntry"/>).
    /// </summary>
    public string PatientIds { get; set; } = string.Empty;

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
        PatientId = record.PatientIds.Count > 1 ? null : record.PatientId ?? (record.PatientIds.Count == 1 ? record.PatientIds[0] : null),
        PatientIds = record.PatientIds.Count > 1 ? Join(record.PatientIds) : string.Empty,
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
        PatientIds = Split(PatientIds),
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

    /// <summary>The patients this record concerns: <see cref="PatientId"/>, or every one of <see cref="PatientIds"/>.</summary>
    public IReadOnlyList<string> Patients() => PatientIds.Length > 0 ? Split(PatientIds) : PatientId is { } one ? [one] : [];

    /// <summary>
    /// The record as seen from <paramref name="patientId"/>, one of its patients: the same record with
    /// <see cref="AuditRecord.PatientId"/> set to that patient (and <see cref="AuditRecord.PatientIds"/> naming all of them).
    /// </summary>
    public AuditRecord ToRecordFor(string patientId) => ToRecord() with { PatientId = patientId };

    private static string Join(IReadOnlyList<string> values) => values.Count == 0 ? string.Empty : string.Join(ListSeparator, values);

    private static string[] Split(string value) => value.Length == 0 ? [] : value.Split(ListSeparator);
}
