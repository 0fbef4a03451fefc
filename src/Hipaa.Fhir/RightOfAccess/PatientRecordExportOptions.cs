namespace Hipaa.Fhir;

/// <summary>Options of the right-of-access export (<see cref="PatientRecordExport"/>), validated at start-up.</summary>
public sealed class PatientRecordExportOptions
{
    /// <summary>
    /// Gets or sets the base URL of the application's FHIR endpoint (absolute http or https, e.g.
    /// <c>https://ehr.example.org/fhir</c>). When set, the <c>fullUrl</c> of an entry whose resource has an id is
    /// <c>{base}/{type}/{id}</c>, so that relative references such as <c>Patient/p1</c> resolve inside the Bundle. Default
    /// <see langword="null"/>: every <c>fullUrl</c> is a <c>urn:uuid:</c>.
    /// </summary>
    public Uri? FhirBaseUrl { get; set; }

    /// <summary>
    /// Gets or sets whom the patient may contact about what was withheld — the name or title and telephone number of the
    /// practice's privacy contact (45 CFR 164.524(d)(2)(iii)) — added to the notice of each withheld category. Default
    /// <see langword="null"/>: the notice says the patient may complain to the practice or to the Secretary of HHS, without a
    /// contact.
    /// </summary>
    public string? ComplaintContact { get; set; }
}
