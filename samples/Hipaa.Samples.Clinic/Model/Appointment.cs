using Hipaa.Encryption;

namespace Hipaa.Samples.Clinic.Model;

/// <summary>An appointment on the schedule.</summary>
[Phi("Appointment")]
public sealed class Appointment
{
    /// <summary>Gets or sets the id.</summary>
    public Guid Id { get; set; }

    /// <summary>Gets or sets the patient.</summary>
    [PatientId]
    public Guid PatientId { get; set; }

    /// <summary>Gets or sets the user id of the clinician seen.</summary>
    public string ClinicianId { get; set; } = string.Empty;

    /// <summary>Gets or sets when it starts.</summary>
    public DateTimeOffset StartsAt { get; set; }

    /// <summary>Gets or sets the kind of visit (intake, therapy, medication management …).</summary>
    public string Kind { get; set; } = string.Empty;

    /// <summary>Gets or sets the reason for the visit, as the front desk took it.</summary>
    [Encrypted]
    public string? Reason { get; set; }
}
