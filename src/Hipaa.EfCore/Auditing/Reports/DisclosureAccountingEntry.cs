using Hipaa.Auditing;

namespace Hipaa.EfCore.Auditing.Reports;

/// <summary>
/// One disclosure in an accounting of disclosures (45 CFR 164.528(b)(2)) or in a 42 CFR Part 2 list of disclosures: the date,
/// the recipient, a brief description of what was disclosed and the purpose, taken from a <see cref="AuditAction.Disclose"/>
/// or <see cref="AuditAction.Export"/> audit record.
/// </summary>
public sealed record DisclosureAccountingEntry
{
    /// <summary>Gets the audit record the entry comes from.</summary>
    public required Guid RecordId { get; init; }

    /// <summary>Gets the date of the disclosure (UTC).</summary>
    public required DateTimeOffset DisclosedAt { get; init; }

    /// <summary>Gets the name of the entity or person who received the information, when the record names one.</summary>
    public string? Recipient { get; init; }

    /// <summary>Gets a brief description of the information disclosed, as recorded.</summary>
    public string? Description { get; init; }

    /// <summary>Gets the purpose of the disclosure, as an HL7 purpose-of-use code (e.g. <c>HLEGAL</c>).</summary>
    public required string PurposeOfUse { get; init; }

    /// <summary>Gets the unique user id of whoever made the disclosure.</summary>
    public required string ActorId { get; init; }

    /// <summary>Gets whether the record was a disclosure or an export.</summary>
    public required AuditAction Action { get; init; }

    /// <summary>Gets the data categories disclosed.</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>Gets the sensitivity labels of the information disclosed (e.g. <c>SUD</c> for a Part 2 record).</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];
}
