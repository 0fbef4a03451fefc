using Hipaa.Encryption;

namespace Hipaa.Samples.Clinic.Model;

/// <summary>A prescription: the psychiatrist's; the default catalog does not let a therapist see it.</summary>
[Phi("Medication")]
public sealed class Prescription
{
    /// <summary>Gets or sets the id.</summary>
    public Guid Id { get; set; }

    /// <summary>Gets or sets the patient.</summary>
    [PatientId]
    public Guid PatientId { get; set; }

    /// <summary>Gets or sets the user id of the prescriber.</summary>
    public string PrescriberId { get; set; } = string.Empty;

    /// <summary>Gets or sets the drug.</summary>
    public string Drug { get; set; } = string.Empty;

    /// <summary>Gets or sets the dose and schedule.</summary>
    [Encrypted]
    public string Dose { get; set; } = string.Empty;

    /// <summary>Gets or sets when it was started.</summary>
    public DateOnly StartedOn { get; set; }
}
