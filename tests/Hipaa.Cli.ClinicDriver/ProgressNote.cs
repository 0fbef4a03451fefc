using Hipaa.Encryption;

namespace Hipaa.Cli.ClinicDriver;

/// <summary>A progress note: the text encrypted, the visit time in plaintext.</summary>
[Phi("ProgressNote")]
public sealed class ProgressNote
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid PatientId { get; set; }

    [AuthorId]
    public string AuthorId { get; set; } = string.Empty;

    public DateTimeOffset VisitedAt { get; set; }

    [Encrypted]
    public string Text { get; set; } = string.Empty;
}
