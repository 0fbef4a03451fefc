namespace Hipaa.Cli.ClinicDriver;

/// <summary>A claim, kept in plaintext (amount and diagnosis code): what a safeguards report should flag.</summary>
[Phi("Claim")]
public sealed class Claim
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid PatientId { get; set; }

    public decimal Amount { get; set; }

    public string DiagnosisCode { get; set; } = string.Empty;
}
