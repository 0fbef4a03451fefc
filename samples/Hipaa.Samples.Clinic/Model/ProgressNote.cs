using Hipaa.Encryption;

namespace Hipaa.Samples.Clinic.Model;

/// <summary>
/// A progress note (part of the medical record). The text is a partial property: a query leaves it encrypted and it is
/// decrypted when first read, so a list that shows only dates decrypts nothing.
/// </summary>
[Phi("ProgressNote")]
public sealed partial class ProgressNote
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

    /// <summary>Gets or sets the note.</summary>
    [Encrypted]
    public partial string Text { get; set; }
}
