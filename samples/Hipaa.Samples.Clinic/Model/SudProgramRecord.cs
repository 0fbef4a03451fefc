using Hipaa.Encryption;

namespace Hipaa.Samples.Clinic.Model;

/// <summary>
/// A record of the practice's substance use disorder program: a 42 CFR Part 2 record (label <c>SUD</c>). Used inside the
/// program like any progress note; it leaves the practice only under a Part 2 consent naming the recipient and purpose,
/// with the redisclosure notice (42 CFR 2.32).
/// </summary>
[Phi("ProgressNote", Labels = ["SUD"])]
public sealed class SudProgramRecord
{
    /// <summary>Gets or sets the id.</summary>
    public Guid Id { get; set; }

    /// <summary>Gets or sets the patient.</summary>
    [PatientId]
    public Guid PatientId { get; set; }

    /// <summary>Gets or sets the user id of the clinician who wrote it.</summary>
    [AuthorId]
    public string AuthorId { get; set; } = string.Empty;

    /// <summary>Gets or sets when it was written.</summary>
    public DateTimeOffset WrittenAt { get; set; }

    /// <summary>Gets or sets the program encounter's summary.</summary>
    [Encrypted]
    public string Summary { get; set; } = string.Empty;
}
