using Hipaa.Encryption;

namespace Hipaa.Cli.ClinicDriver;

/// <summary>A psychotherapy note (45 CFR 164.501), labelled PSY, its text encrypted.</summary>
[Phi("PsychotherapyNote", Labels = ["PSY"])]
public sealed class PsychotherapyNote
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid PatientId { get; set; }

    [AuthorId]
    public string AuthorId { get; set; } = string.Empty;

    [Encrypted]
    public string Text { get; set; } = string.Empty;
}
