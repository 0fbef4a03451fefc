using Hipaa.Policy;

namespace Hipaa.AspNetCore;

/// <summary>
/// The record a resource-based PHI check is about: whose it is, its category and sensitivity labels, who wrote it, and
/// for a disclosure who receives it. Pass it to <c>IAuthorizationService.AuthorizeAsync(user, resource, PhiOperations.X)</c>
/// or <see cref="IPhiAuthorization.DecideAsync"/>. Describe the record; never put its content here.
/// </summary>
public sealed class PhiResource
{
    /// <summary>Describes a record.</summary>
    /// <param name="patientId">The patient the record belongs to.</param>
    /// <param name="category">The record's data category.</param>
    /// <exception cref="ArgumentException">The patient id is blank, or the category is empty or the wildcard.</exception>
    public PhiResource(string patientId, DataCategory category)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        RequireRecordCategory(category, nameof(category));
        PatientId = patientId;
        Category = category;
    }

    /// <summary>The patient the record belongs to.</summary>
    public string PatientId { get; }

    /// <summary>The record's data category.</summary>
    public DataCategory Category { get; }

    /// <summary>The record's HL7 sensitivity labels (<c>SUD</c> marks a 42 CFR Part 2 record). Default: none.</summary>
    public IReadOnlyList<SensitivityLabel> Labels { get; init; } = [];

    /// <summary>The unique user id of the record's author, when known; decides access to psychotherapy and SUD counseling notes.</summary>
    public string? AuthorId { get; init; }

    /// <summary>
    /// For <see cref="PhiAction.Disclose"/> and <see cref="PhiAction.Export"/>: the receiving organization;
    /// <see langword="null"/> or the practice itself for an internal use.
    /// </summary>
    public string? Recipient { get; init; }

    /// <summary>A court order presented for a disclosure in a legal proceeding, if any.</summary>
    public CourtOrder? CourtOrder { get; init; }

    internal static void RequireRecordCategory(DataCategory category, string parameterName)
    {
        if (category.IsEmpty)
        {
            throw new ArgumentException("The data category is empty (default(DataCategory)); name the record's category.", parameterName);
        }

        if (category == DataCategory.All)
        {
            throw new ArgumentException("The wildcard category \"*\" belongs in consents only; name the record's category.", parameterName);
        }
    }
}
