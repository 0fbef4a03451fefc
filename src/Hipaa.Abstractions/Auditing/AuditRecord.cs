namespace Hipaa.Auditing;

/// <summary>
/// One audit record: who did what to which patient's records, when, from where, for what purpose, and how it ended —
/// never the PHI values themselves. An access of one patient's records has that patient in <see cref="PatientId"/>; a query
/// that returned several patients' records is one record naming all of them in <see cref="PatientIds"/> (stored once,
/// indexed per patient, and reported per patient by the who-accessed report, which sets <see cref="PatientId"/> to the
/// patient asked about). An access that cannot be tied to a patient has neither and says what it touched
/// (<see cref="Entity"/>, <see cref="QueryFingerprint"/>, <see cref="RowCount"/>). docs/audit.md describes every field.
/// </summary>
public sealed record AuditRecord
{
    /// <summary>Gets the record's unique id.</summary>
    public required Guid RecordId { get; init; }

    /// <summary>Gets when the access happened (UTC, from the application's <see cref="TimeProvider"/>).</summary>
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>Gets the unique user id of the actor, or <c>system:&lt;name&gt;</c> for a declared system actor.</summary>
    public required string ActorId { get; init; }

    /// <summary>Gets the actor's roles at the time of access.</summary>
    public IReadOnlyList<string> ActorRoles { get; init; } = [];

    /// <summary>Gets the client application the access came through, when known.</summary>
    public string? ClientApplication { get; init; }

    /// <summary>Gets the patient whose records were touched; <see langword="null"/> when the access could not be tied to one.</summary>
    public string? PatientId { get; init; }

    /// <summary>
    /// Gets every patient of a record written once for several patients (a query returning many patients' rows); empty for
    /// a record of one patient (<see cref="PatientId"/>) or of none.
    /// </summary>
    public IReadOnlyList<string> PatientIds { get; init; } = [];

    /// <summary>Gets what was done.</summary>
    public required AuditAction Action { get; init; }

    /// <summary>Gets the entity (or table) touched.</summary>
    public required string Entity { get; init; }

    /// <summary>Gets the data categories touched (e.g. <c>ProgressNote</c>).</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>Gets the HL7 sensitivity labels of the records touched (e.g. <c>SUD</c>).</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>Gets the fields disclosed (read) or changed (written).</summary>
    public IReadOnlyList<string> Fields { get; init; } = [];

    /// <summary>Gets the fields withheld or masked by policy.</summary>
    public IReadOnlyList<string> RedactedFields { get; init; } = [];

    /// <summary>Gets the HL7 purpose of use (<c>TREAT</c>, <c>HPAYMT</c>, <c>HOPERAT</c>, <c>ETREAT</c> …).</summary>
    public required string PurposeOfUse { get; init; }

    /// <summary>Gets how the access ended.</summary>
    public AuditOutcome Outcome { get; init; }

    /// <summary>Gets the client's network address, when known.</summary>
    public string? ClientAddress { get; init; }

    /// <summary>Gets the request or trace id that ties the access to the application's logs.</summary>
    public string? RequestId { get; init; }

    /// <summary>Gets the emergency reason stated for break-the-glass access.</summary>
    public string? BreakGlassReason { get; init; }

    /// <summary>Gets the receiving organization of a disclosure or export.</summary>
    public string? Recipient { get; init; }

    /// <summary>Gets a description of what was disclosed, for the accounting of disclosures (45 CFR 164.528(b)(2)).</summary>
    public string? Description { get; init; }

    /// <summary>Gets the primary keys of the rows touched, when known (identifiers, never values).</summary>
    public IReadOnlyList<string> RecordKeys { get; init; } = [];

    /// <summary>Gets a SHA-256 fingerprint (hex) of the SQL command, for accesses recorded from the command.</summary>
    public string? QueryFingerprint { get; init; }

    /// <summary>Gets the number of rows read or affected.</summary>
    public int RowCount { get; init; }

    /// <summary>Gets the policy rule ids and obligations behind the decision, when policy was enforced.</summary>
    public string? Decision { get; init; }
}
