using System.Net;
using System.Security.Claims;
using System.Text;
using Hipaa.Policy;
using Hipaa.Samples.Clinic.Seed;

namespace Hipaa.Samples.Clinic.Web;

/// <summary>The page layout and HTML encoding: every value that reaches a page goes through <see cref="E"/>.</summary>
internal static class Html
{
    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7fb; }
        header { background: #243b6b; color: #fff; padding: .6rem 1.2rem; display: flex; gap: 1.5rem; align-items: center; }
        header a { color: #fff; } header .who { margin-left: auto; }
        main { padding: 1rem 1.5rem; max-width: 70rem; }
        .banner { background: #fff3cd; border: 1px solid #e0c46c; padding: .5rem .8rem; margin: .6rem 0; }
        .sample { background: #e8eefc; border: 1px dashed #7a8fc4; padding: .4rem .8rem; margin: .6rem 0; font-size: .9rem; }
        section { background: #fff; border: 1px solid #d8dce8; border-radius: 6px; padding: .6rem 1rem; margin: .8rem 0; }
        section h2 { font-size: 1.05rem; margin: .2rem 0 .5rem; }
        table { border-collapse: collapse; width: 100%; font-size: .9rem; }
        th, td { text-align: left; border-bottom: 1px solid #e4e7ef; padding: .25rem .4rem; vertical-align: top; }
        .withheld { background: #fbe9e9; border-left: 4px solid #b3261e; padding: .4rem .6rem; margin: .3rem 0; }
        .withheld .rule, .rule { font-family: ui-monospace, monospace; font-size: .8rem; color: #5b2b2b; }
        .masked { color: #8a5a00; font-style: italic; }
        .permit { color: #1b6b2b; } .deny { color: #b3261e; }
        .label { display: inline-block; background: #5b2b8a; color: #fff; border-radius: 3px; padding: 0 .35rem; font-size: .75rem; }
        button, .button { background: #243b6b; color: #fff; border: 0; border-radius: 4px; padding: .35rem .8rem; cursor: pointer; text-decoration: none; font-size: .9rem; }
        button.danger, .button.danger { background: #b3261e; }
        textarea { width: 100%; max-width: 40rem; }
        pre { white-space: pre-wrap; background: #f0f2f7; padding: .5rem; }
        """;

    /// <summary>HTML-encodes <paramref name="value"/>.</summary>
    public static string E(object? value) => WebUtility.HtmlEncode(value?.ToString() ?? string.Empty);

    /// <summary>A whole page.</summary>
    public static IResult Page(ClaimsPrincipal user, string title, string body, int statusCode = 200)
    {
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append(" · Sample clinic</title>")
            .Append("<style>").Append(Style).Append("</style></head><body><header><strong>Sample clinic</strong>");
        string? userId = user.FindFirst("sub")?.Value;
        if (userId is not null)
        {
            string role = user.FindFirst("role")?.Value ?? string.Empty;
            html.Append("<a href=\"/patients\">Patients</a>");
            if (role == WellKnownRoles.ComplianceOfficer)
            {
                html.Append("<a href=\"/compliance\">Compliance</a>");
            }

            html.Append("<span class=\"who\" id=\"signed-in-as\">Signed in as ").Append(E(user.FindFirst("name")?.Value)).Append(" (").Append(E(role)).Append(", ").Append(E(userId)).Append(")</span>")
                .Append("<form method=\"post\" action=\"/sign-out\"><button type=\"submit\">Sign out</button></form>");
        }

        html.Append("</header><main><h1>").Append(E(title)).Append("</h1>").Append(body).Append("</main></body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, statusCode);
    }

    /// <summary>A withheld-data box: what the policy decided, in its own words.</summary>
    public static string Withheld(string what, string ruleId, string explanation, string citation) =>
        $"<div class=\"withheld\" data-rule=\"{E(ruleId)}\"><strong>Withheld: {E(what)}.</strong> {E(explanation)} <span class=\"rule\">[{E(ruleId)} · {E(citation)}]</span></div>";

    /// <summary>The name of a user id: a staff member's, a patient's, or the id itself.</summary>
    public static string NameOf(string? userId)
    {
        if (userId is null)
        {
            return string.Empty;
        }

        StaffMember? staff = ClinicSeed.Default.Staff.FirstOrDefault(s => s.Id == userId);
        if (staff is not null)
        {
            return staff.Name;
        }

        SeedPatient? patient = ClinicSeed.Default.Patients.FirstOrDefault(p => p.PatientId == userId);
        return patient is null ? userId : patient.Name + " (patient)";
    }
}
