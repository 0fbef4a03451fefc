using System.Security.Claims;
using System.Text;
using Hipaa.Policy;
using Hipaa.Samples.Clinic.Seed;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using static Hipaa.Samples.Clinic.Web.Html;

namespace Hipaa.Samples.Clinic.Web;

/// <summary>
/// "Sign in as": the sample has no real login. Picking a user signs in a cookie session with the claims Hipaa.AspNetCore
/// reads — <c>sub</c> (unique user id), <c>role</c>, and one <c>care_team</c> claim per patient the user treats — as an
/// identity provider would issue them.
/// </summary>
internal static class SignInEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/", (HttpContext http) =>
        {
            var body = new StringBuilder();
            body.Append("<div class=\"sample\"><strong>Sample only — no real login.</strong> Pick who you are; the app signs you in with that person's ")
                .Append("user id, role and care team as claims, as your identity provider would. Then open a patient's chart: each role sees exactly what ")
                .Append("the SDK's default behavioral-health catalog allows, and what is withheld says why.</div>");
            body.Append("<section><h2>Staff</h2><table><tr><th>Name</th><th>Role</th><th>Patients treated</th><th></th></tr>");
            foreach (StaffMember staff in ClinicSeed.Default.Staff)
            {
                int careTeam = ClinicSeed.Default.CareTeamOf(staff.Id).Count;
                body.Append("<tr><td>").Append(E(staff.Name)).Append("</td><td>").Append(E(staff.Title)).Append(" <span class=\"rule\">").Append(E(staff.Role)).Append("</span></td><td>")
                    .Append(careTeam == 0 ? "–" : E(careTeam)).Append("</td><td>").Append(SignInButton(staff.Id, "Sign in as " + staff.Name)).Append("</td></tr>");
            }

            body.Append("</table></section><section><h2>Patient portal</h2><p>A patient asking for a copy of their record (45 CFR 164.524).</p><table>");
            foreach (SeedPatient patient in new[] { ClinicSeed.Default.Ada, ClinicSeed.Default.Ben })
            {
                body.Append("<tr><td>").Append(E(patient.Name)).Append("</td><td>").Append(SignInButton(patient.PatientId, "Sign in as " + patient.Name)).Append("</td></tr>");
            }

            body.Append("</table></section>");
            return Page(http.User, "Who are you?", body.ToString());
        });

        app.MapPost("/sign-in", async (HttpContext http) =>
        {
            IFormCollection form = await http.Request.ReadFormAsync();
            string userId = form["userId"].ToString();
            ClaimsIdentity? identity = IdentityOf(userId);
            if (identity is null)
            {
                return Page(http.User, "Unknown user", "<p>There is no such user in the sample. <a href=\"/\">Pick one</a>.</p>", StatusCodes.Status400BadRequest);
            }

            await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
            SeedPatient? patient = ClinicSeed.Default.Patients.FirstOrDefault(p => p.PatientId == userId);
            return Results.Redirect(patient is null ? "/patients" : $"/patients/{patient.PatientId}/record");
        });

        app.MapPost("/sign-out", async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.Redirect("/");
        });
    }

    /// <summary>The claims of a seeded user, as an identity provider would issue them; <see langword="null"/> for an unknown id.</summary>
    public static ClaimsIdentity? IdentityOf(string userId)
    {
        var claims = new List<Claim>();
        StaffMember? staff = ClinicSeed.Default.Staff.FirstOrDefault(s => s.Id == userId);
        SeedPatient? patient = ClinicSeed.Default.Patients.FirstOrDefault(p => p.PatientId == userId);
        if (staff is not null)
        {
            claims.Add(new Claim("sub", staff.Id));
            claims.Add(new Claim("name", staff.Name));
            claims.Add(new Claim("role", staff.Role));
            claims.AddRange(ClinicSeed.Default.CareTeamOf(staff.Id).Select(id => new Claim("care_team", id)));
        }
        else if (patient is not null)
        {
            claims.Add(new Claim("sub", patient.PatientId));
            claims.Add(new Claim("name", patient.Name));
            claims.Add(new Claim("role", WellKnownRoles.Patient));
        }
        else
        {
            return null;
        }

        return new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme, "name", "role");
    }

    private static string SignInButton(string userId, string label) =>
        $"<form method=\"post\" action=\"/sign-in\"><input type=\"hidden\" name=\"userId\" value=\"{E(userId)}\"><button type=\"submit\" data-user=\"{E(userId)}\">{E(label)}</button></form>";
}
