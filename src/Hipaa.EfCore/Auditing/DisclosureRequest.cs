using Hipaa.Policy;

namespace Hipaa.Auditing;

/// <summary>A disclosure (or export) of a patient's records to a recipient, to be decided and entered in the disclosure log.</summary>
public sealed record DisclosureRequest
{
    /// <summary>Gets the patient whose records are disclosed.</summary>
    public required string PatientId { get; init; }

    /// <summary>Gets the category of the records disclosed.</summary>
    public required DataCategory Category { get; init; }

    /// <summary>Gets the sensitivity labels of the records (<c>SUD</c> makes them 42 CFR Part 2 records).</summary>
    public IReadOnlyList<SensitivityLabel> Labels { get; init; } = [];

    /// <summary>Gets the receiving organization.</summary>
    public required string Recipient { get; init; }

    /// <summary>Gets a brief description of what is disclosed, for the accounting (45 CFR 164.528(b)(2)(iii)); no PHI values.</summary>
    public required string Description { get; init; }

    /// <summary>Gets <see cref="PhiAction.Disclose"/> (the default) or <see cref="PhiAction.Export"/>.</summary>
    public PhiAction Action { get; init; } = PhiAction.Disclose;

    /// <summary>Gets the keys of the records disclosed, when known.</summary>
    public IReadOnlyList<string> RecordKeys { get; init; } = [];

    /// <summary>Gets a court order, when the disclosure rests on one.</summary>
    public CourtOrder? CourtOrder { get; init; }
}
