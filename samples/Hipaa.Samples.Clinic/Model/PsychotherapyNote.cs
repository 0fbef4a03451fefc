using Hipaa.Encryption;

namespace Hipaa.Samples.Clinic.Model;

/// <summary>
/// A psychotherapy note (45 CFR 164.501), kept apart from the medical record: seen by its author alone unless an
/// authorization specific to it or a listed exception applies, and never part of the patient's right of access.
/// </summary>
[Phi("PsychotherapyNote", Labels = ["PSYTHPN"])]
public sealed class PsychotherapyNote
{
    /// <summary>Gets or sets the id.</summary>
    public Guid Id { get; set; }

    /// <summary>Gets or sets the patient.</summary>
    [PatientId]
    public Guid PatientId { get; set; }

    /// <summary>Gets or sets the user id of the therapist who wrote it.</summary>
    [AuthorId]
    public string AuthorId { get; set; } = string.Empty;

    /// <summary>Gets or sets when it was written.</summary>
    public DateTimeOffset WrittenAt { get; set; }

    /// <summary>Gets or sets the note.</summary>
    [Encrypted]
    public string Text { get; set; } = string.Empty;
}
