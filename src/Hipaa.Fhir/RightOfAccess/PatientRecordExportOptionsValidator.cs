using Microsoft.Extensions.Options;

namespace Hipaa.Fhir;

/// <summary>Lists every problem of <see cref="PatientRecordExportOptions"/>, with the value it saw.</summary>
internal sealed class PatientRecordExportOptionsValidator : IValidateOptions<PatientRecordExportOptions>
{
    public ValidateOptionsResult Validate(string? name, PatientRecordExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (options.FhirBaseUrl is { } url
            && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp) || url.Query.Length > 0 || url.Fragment.Length > 0))
        {
            problems.Add($"PatientRecordExportOptions.FhirBaseUrl is '{url.OriginalString}', which is not an absolute http or https URL without query or fragment; set it to the FHIR endpoint's base, e.g. https://ehr.example.org/fhir, or leave it unset for urn:uuid full URLs.");
        }

        if (options.ComplaintContact is { } contact && string.IsNullOrWhiteSpace(contact))
        {
            problems.Add("PatientRecordExportOptions.ComplaintContact is empty or white space; set the privacy contact's name or title and telephone number, or leave it unset.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
