using Hipaa.Encryption;

namespace Hipaa.Samples.Clinic.Model;

/// <summary>
/// A diagnosis: billing may read it masked to the code (minimum necessary: <c>Code</c>, <c>CodeSystem</c>, <c>Display</c>),
/// never the clinician's narrative.
/// </summary>
[Phi("Diagnosis")]
public sealed class Diagnosis
{
    /// <summary>Gets or sets the id.</summary>
    public Guid Id { get; set; }

    /// <summary>Gets or sets the patient.</summary>
    [PatientId]
    public Guid PatientId { get; set; }

    /// <summary>Gets or sets the code (ICD-10-CM).</summary>
    public string Code { get; set; } = string.Empty;

    /// <summary>Gets or sets the code system.</summary>
    public string CodeSystem { get; set; } = "http://hl7.org/fhir/sid/icd-10-cm";

    /// <summary>Gets or sets the code's display text.</summary>
    public string Display { get; set; } = string.Empty;

    /// <summary>Gets or sets the clinician's narrative.</summary>
    [Encrypted]
    public string? Narrative { get; set; }
}
