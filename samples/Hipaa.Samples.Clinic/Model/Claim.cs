namespace Hipaa.Samples.Clinic.Model;

/// <summary>A claim to a payer: billing's; nothing clinical beyond the procedure code.</summary>
[Phi("Claim")]
public sealed class Claim
{
    /// <summary>Gets or sets the id.</summary>
    public Guid Id { get; set; }

    /// <summary>Gets or sets the patient.</summary>
    [PatientId]
    public Guid PatientId { get; set; }

    /// <summary>Gets or sets the payer.</summary>
    public string Payer { get; set; } = string.Empty;

    /// <summary>Gets or sets the date of service.</summary>
    public DateOnly ServiceDate { get; set; }

    /// <summary>Gets or sets the procedure code (CPT).</summary>
    public string ProcedureCode { get; set; } = string.Empty;

    /// <summary>Gets or sets the amount billed, in cents.</summary>
    public long AmountCents { get; set; }

    /// <summary>Gets or sets the claim's status (submitted, paid, denied).</summary>
    public string Status { get; set; } = string.Empty;
}
