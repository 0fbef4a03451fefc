using System.Text;
using Hipaa.AspNetCore;
using Hipaa.Fhir;
using Hipaa.Policy;
using Hl7.Fhir.Model;
using static Hipaa.Samples.Clinic.Web.Html;

namespace Hipaa.Samples.Clinic.Web;

/// <summary>The patient portal: the patient's copy of their record (45 CFR 164.524) as <see cref="PatientRecordExport"/> gives it.</summary>
internal static class PatientRecordEndpoints
{
    public static void Map(WebApplication app) =>
        app.MapGet("/patients/{patientId:guid}/record", async (HttpContext http, Guid patientId, PatientRecordExport export) =>
        {
            Bundle bundle = await export.ExportAsync(patientId.ToString("D"), http.RequestAborted);
            var body = new StringBuilder("<p>Your copy, assembled as a FHIR R4 Bundle (").Append(E(bundle.Identifier?.Value)).Append("). Every record in it was decided and the copy was recorded as a disclosure to you.</p>");
            foreach (OperationOutcome outcome in bundle.Entry.Select(e => e.Resource).OfType<OperationOutcome>())
            {
                foreach (OperationOutcome.IssueComponent issue in outcome.Issue)
                {
                    body.Append("<div class=\"withheld\" id=\"withheld-notice\">").Append(E(issue.Details?.Text)).Append("</div>");
                }
            }

            body.Append("<section><h2>Included</h2><table><tr><th>Resource</th><th>Security labels</th></tr>");
            foreach (Resource resource in bundle.Entry.Select(e => e.Resource).OfType<Resource>().Where(r => r is not OperationOutcome))
            {
                body.Append("<tr class=\"record-entry\"><td>").Append(E(resource.TypeName)).Append('/').Append(E(resource.Id)).Append("</td><td>")
                    .Append(E(string.Join(" ", resource.Meta?.Security?.Select(c => c.Code) ?? []))).Append("</td></tr>");
            }

            return Page(http.User, "Your record", body.Append("</table></section>").ToString());
        }).RequireAuthorization(PhiPolicy.For(DataCategory.Demographics, PhiAction.Read));
}
