using Hipaa.Encryption;

namespace Hipaa.Samples.Clinic.Model;

/// <summary>A patient: the display name in the clear for the schedule, identifiers encrypted under the patient's own key.</summary>
[Phi("Demographics")]
public sealed class Patient
{
    /// <summary>Gets or sets the patient id (also the patient's user id in the patient portal).</summary>
    [PatientId]
    public Guid Id { get; set; }

    /// <summary>Gets or sets the name shown on the schedule.</summary>
    public string DisplayName { get; set; } = string.Empty;

    /// <summary>Gets or sets the medical record number: encrypted, searchable by equality (blind index).</summary>
    [Encrypted(Searchable = true)]
    public string Mrn { get; set; } = string.Empty;

    /// <summary>Gets or sets the social security number.</summary>
    [Encrypted]
    public string? Ssn { get; set; }

    /// <summary>Gets or sets the date of birth.</summary>
    [Encrypted]
    public DateOnly BirthDate { get; set; }

    /// <summary>Gets or sets the phone number.</summary>
    [Encrypted]
    public string? Phone { get; set; }
}
