namespace Hipaa.Policy;

/// <summary>
/// One request for access to one patient's record: who asks, for what, to do what, why, and with which consents and
/// court order in hand. <see cref="PolicyEngine.Decide(AccessRequest)"/> turns it into an <see cref="AccessDecision"/>.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Consents"/> are the patient's consents and authorizations as recorded, including expired and revoked ones:
/// the engine checks each against <see cref="At"/>, ignores those of other patients, and does not depend on their order.
/// </para>
/// <para>Treat a request as immutable once handed to the engine.</para>
/// </remarks>
public sealed class AccessRequest
{
    /// <summary>Who asks.</summary>
    public required Actor Actor { get; init; }

    /// <summary>The patient the record belongs to.</summary>
    public required string PatientId { get; init; }

    /// <summary>The record's data category.</summary>
    public required DataCategory Category { get; init; }

    /// <summary>The record's HL7 sensitivity labels. Default: none.</summary>
    public IReadOnlyList<SensitivityLabel> Labels { get; init; } = [];

    /// <summary>
    /// The user who wrote the record, when known. For <see cref="PhiAction.Create"/> a missing author means the actor
    /// is writing the record themselves.
    /// </summary>
    public string? AuthorId { get; init; }

    /// <summary>What the actor wants to do.</summary>
    public required PhiAction Action { get; init; }

    /// <summary>Why: the HL7 purpose of use.</summary>
    public required PurposeOfUse Purpose { get; init; }

    /// <summary>
    /// For <see cref="PhiAction.Disclose"/> and <see cref="PhiAction.Export"/>: the receiving organization.
    /// <see langword="null"/> or <see cref="RoleCatalog.PracticeOrganization"/> means an internal use.
    /// </summary>
    public string? Recipient { get; init; }

    /// <summary>The stated emergency reason; required with <see cref="PurposeOfUse.EmergencyTreatment"/>.</summary>
    public string? BreakGlassReason { get; init; }

    /// <summary>The patient's consents and authorizations, in any order. Default: none.</summary>
    public IReadOnlyList<Consent> Consents { get; init; } = [];

    /// <summary>A court order presented with the request, if any.</summary>
    public CourtOrder? CourtOrder { get; init; }

    /// <summary>When the request is made; consents are checked against this instant.</summary>
    public required DateTimeOffset At { get; init; }
}
