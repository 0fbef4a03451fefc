using System.Globalization;
using System.Text;
using Hipaa.AspNetCore;
using Hipaa.Auditing;
using Hipaa.Policy;
using Hipaa.Samples.Clinic.Compliance;
using Hipaa.Samples.Clinic.Model;
using Hipaa.Samples.Clinic.Seed;
using Microsoft.EntityFrameworkCore;
using static Hipaa.Samples.Clinic.Web.Html;

namespace Hipaa.Samples.Clinic.Web;

/// <summary>
/// The patient list and the chart. Each section of the chart is asked of the SDK first (<see cref="IPhiAuthorization"/>:
/// the same engine EF Core enforces); a refused section is not queried and shows the rule's own sentence and citation;
/// a permitted one is read through EF Core, which decides every row again (another author's psychotherapy note comes back
/// redacted, billing's diagnoses masked) and audits it.
/// </summary>
internal static class ChartEndpoints
{
    /// <summary>The form field and the headers of a break-the-glass request.</summary>
    public const string BreakGlassPath = "/break-glass";

    private static readonly string[] ClinicalRoles = [WellKnownRoles.Therapist, WellKnownRoles.Psychiatrist, WellKnownRoles.Nurse, WellKnownRoles.ClinicalSupervisor];

    public static void Map(WebApplication app)
    {
        app.MapGet("/patients", ListAsync).RequireAuthorization();
        app.MapGet("/patients/{patientId:guid}", (HttpContext http, Guid patientId) => ChartAsync(http, patientId)).RequireAuthorization();
        app.MapGet("/patients/{patientId:guid}" + BreakGlassPath, (HttpContext http, Guid patientId) => BreakGlassForm(http, patientId, error: null)).RequireAuthorization();
        app.MapPost("/patients/{patientId:guid}" + BreakGlassPath, (HttpContext http, Guid patientId) =>
            AccessContext.Current?.PurposeOfUse == PurposeOfUse.EmergencyTreatment
                ? ChartAsync(http, patientId)
                : Task.FromResult(BreakGlassForm(http, patientId, "State the emergency: break-the-glass access needs a reason (45 CFR 164.312(a)(2)(ii)).")))
            .RequireAuthorization();
        app.MapPost("/patients/{patientId:guid}/disclose", DiscloseAsync).RequireAuthorization();
    }

    /// <summary>
    /// Runs before <c>UseHipaaAccessContext()</c>: a browser form cannot send headers, so the break-the-glass form's reason
    /// becomes the <c>X-Purpose-Of-Use: ETREAT</c> and <c>X-Break-Glass-Reason</c> headers the SDK reads.
    /// </summary>
    public static async Task BreakGlassFormToHeadersAsync(HttpContext http, Func<Task> next)
    {
        if (HttpMethods.IsPost(http.Request.Method)
            && http.Request.Path.Value?.EndsWith(BreakGlassPath, StringComparison.Ordinal) == true
            && http.Request.HasFormContentType)
        {
            IFormCollection form = await http.Request.ReadFormAsync();
            string reason = string.Join(' ', form["reason"].ToString().Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
            if (reason.Length > 0)
            {
                http.Request.Headers["X-Purpose-Of-Use"] = PurposeOfUse.EmergencyTreatment.Code;
                http.Request.Headers["X-Break-Glass-Reason"] = reason;
            }
        }

        await next();
    }

    private static async Task<IResult> ListAsync(HttpContext http, IDbContextFactory<ClinicDb> contexts)
    {
        AccessContext access = AccessContext.Current!;
        if (access.Actor.Roles.Contains(WellKnownRoles.Patient))
        {
            return Results.Redirect($"/patients/{access.Actor.Id}/record");
        }

        bool clinical = access.Actor.Roles.Any(ClinicalRoles.Contains);
        Guid[] careTeam = [.. access.Actor.CareTeamOf.Select(Guid.Parse)];
        var body = new StringBuilder();
        await using ClinicDb db = await contexts.CreateDbContextAsync(http.RequestAborted);
        try
        {
            // A list without a patient in the route is refused as soon as one row is of a patient the user may not read:
            // clinicians list their care team, the other roles every patient.
            IQueryable<Patient> query = db.Patients.AsNoTracking();
            if (clinical)
            {
                query = query.Where(p => careTeam.Contains(p.Id));
            }

            List<Patient> patients = await query.OrderBy(p => p.DisplayName).ToListAsync(http.RequestAborted);
            body.Append("<section><h2>").Append(clinical ? "Your patients" : "Patients").Append("</h2><table><tr><th>Name</th><th>MRN</th><th>Chart</th></tr>");
            foreach (Patient p in patients)
            {
                body.Append("<tr><td><a href=\"/patients/").Append(p.Id).Append("\">").Append(E(p.DisplayName)).Append("</a></td><td>").Append(E(p.Mrn))
                    .Append("</td><td>#").Append(E(Number(p.Id))).Append("</td></tr>");
            }

            body.Append("</table></section>");
        }
        catch (PhiAccessDeniedException denied)
        {
            body.Append(Withheld("the patient list", denied.Decision?.Rule.Id ?? "denied", denied.Decision?.Explanation ?? denied.Message, denied.Decision?.Rule.Citation ?? string.Empty));
        }

        if (clinical)
        {
            body.Append("<section><h2>Other charts</h2><p>Patients you do not treat: their charts are withheld unless you break the glass. ")
                .Append("<span class=\"sample\">The sample lists them by chart number from its seed (a real EHR would search its patient index).</span></p><p>");
            foreach (SeedPatient p in ClinicSeed.Default.Patients.Where(p => !careTeam.Contains(p.Id)))
            {
                body.Append("<a class=\"chart-link\" href=\"/patients/").Append(p.Id).Append("\">#").Append(p.Number).Append("</a> ");
            }

            body.Append("</p></section>");
        }

        return Page(http.User, "Patients", body.ToString());
    }

    private static IResult BreakGlassForm(HttpContext http, Guid patientId, string? error)
    {
        var body = new StringBuilder();
        body.Append("<div class=\"banner\">Break-the-glass gives emergency access to a chart outside your care team (45 CFR 164.312(a)(2)(ii); a medical ")
            .Append("emergency under 42 CFR 2.51 for Part 2 records). It never opens psychotherapy notes, claims or the audit log. Every record you read is ")
            .Append("flagged in the audit trail with your reason and queued for the compliance officer's review.</div>");
        if (error is not null)
        {
            body.Append("<div class=\"withheld\" id=\"break-glass-error\">").Append(E(error)).Append("</div>");
        }

        body.Append("<form method=\"post\" action=\"/patients/").Append(patientId).Append(BreakGlassPath).Append("\">")
            .Append("<p><label for=\"reason\">Why do you need this chart now?</label></p>")
            .Append("<textarea id=\"reason\" name=\"reason\" rows=\"3\" maxlength=\"500\" required></textarea>")
            .Append("<p><button type=\"submit\" class=\"danger\" id=\"break-glass-submit\">Break the glass and open the chart</button> ")
            .Append("<a href=\"/patients/").Append(patientId).Append("\">Cancel</a></p></form>");
        return Page(http.User, "Break the glass: chart #" + Number(patientId), body.ToString());
    }

    private static async Task<IResult> ChartAsync(HttpContext http, Guid patientId)
    {
        IServiceProvider services = http.RequestServices;
        var phi = services.GetRequiredService<IPhiAuthorization>();
        var contexts = services.GetRequiredService<IDbContextFactory<ClinicDb>>();
        var engine = services.GetRequiredService<PolicyEngine>();
        var consentStore = services.GetRequiredService<IConsentStore>();
        var time = services.GetRequiredService<TimeProvider>();
        CancellationToken cancel = http.RequestAborted;
        AccessContext access = AccessContext.Current!;
        string pid = patientId.ToString("D");
        bool emergency = access.PurposeOfUse == PurposeOfUse.EmergencyTreatment;
        bool clinical = access.Actor.Roles.Any(ClinicalRoles.Contains);
        bool careTeamRefused = false;
        IReadOnlyList<Consent> consents = await consentStore.ListAsync(pid, cancel);
        await using ClinicDb db = await contexts.CreateDbContextAsync(cancel);
        var body = new StringBuilder();

        async Task<PhiAuthorizationResult?> Gate(string title, DataCategory category, SensitivityLabel[]? labels = null, string? authorId = null)
        {
            PhiAuthorizationResult result = await phi.DecideAsync(http, new PhiResource(pid, category) { Labels = labels ?? [], AuthorId = authorId }, PhiAction.Read, cancel);
            if (!result.Succeeded)
            {
                careTeamRefused |= result.RuleId == "matrix.care-team-required";
                body.Append("<section data-category=\"").Append(E(category.Name)).Append("\"><h2>").Append(E(title)).Append("</h2>")
                    .Append(Withheld(title, result.RuleId, result.Explanation, result.Citation)).Append("</section>");
                return null;
            }

            body.Append("<section data-category=\"").Append(E(category.Name)).Append("\"><h2>").Append(E(title)).Append("</h2>");
            return result;
        }

        AccessDecision DecideRow(DataCategory category, string? authorId, params SensitivityLabel[] labels) => engine.Decide(new AccessRequest
        {
            Actor = access.Actor,
            PatientId = pid,
            Category = category,
            Labels = labels,
            AuthorId = authorId,
            Action = PhiAction.Read,
            Purpose = access.PurposeOfUse,
            BreakGlassReason = access.BreakGlassReason,
            Consents = consents,
            At = time.GetUtcNow(),
        });

        if (emergency)
        {
            body.Append("<div class=\"banner\" id=\"break-glass-banner\"><strong>Emergency access (break-the-glass).</strong> Reason: “")
                .Append(E(access.BreakGlassReason)).Append("”. Every record on this page is flagged in the audit trail for the compliance officer's review.</div>");
        }

        if (await Gate("Demographics", DataCategory.Demographics) is not null)
        {
            Patient? p = await db.Patients.AsNoTracking().SingleOrDefaultAsync(p => p.Id == patientId, cancel);
            if (p is null)
            {
                return Page(http.User, "No such patient", "<p>There is no patient with this id.</p>", StatusCodes.Status404NotFound);
            }

            body.Append("<table><tr><th>Name</th><td id=\"patient-name\">").Append(E(p.DisplayName)).Append("</td></tr><tr><th>MRN</th><td>").Append(E(p.Mrn))
                .Append("</td></tr><tr><th>Date of birth</th><td>").Append(E(p.BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)))
                .Append("</td></tr><tr><th>SSN</th><td>").Append(E(p.Ssn)).Append("</td></tr><tr><th>Phone</th><td>").Append(E(p.Phone)).Append("</td></tr></table></section>");
        }

        if (await Gate("Appointments", DataCategory.Appointment) is not null)
        {
            List<Appointment> rows = await db.Appointments.AsNoTracking().Where(a => a.PatientId == patientId).ToListAsync(cancel);
            body.Append("<table><tr><th>When</th><th>Kind</th><th>With</th><th>Reason</th></tr>");
            foreach (Appointment a in rows.OrderBy(a => a.StartsAt))
            {
                body.Append("<tr><td>").Append(E(a.StartsAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture))).Append("</td><td>").Append(E(a.Kind))
                    .Append("</td><td>").Append(E(NameOf(a.ClinicianId))).Append("</td><td>").Append(E(a.Reason)).Append("</td></tr>");
            }

            body.Append("</table></section>");
        }

        if (await Gate("Progress notes", DataCategory.ProgressNote) is not null)
        {
            List<ProgressNote> rows = await db.ProgressNotes.AsNoTracking().Where(n => n.PatientId == patientId).ToListAsync(cancel);
            body.Append("<table><tr><th>Written</th><th>By</th><th>Note</th></tr>");
            foreach (ProgressNote n in rows.OrderBy(n => n.WrittenAt))
            {
                body.Append("<tr class=\"progress-note\"><td>").Append(E(n.WrittenAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))).Append("</td><td>").Append(E(NameOf(n.AuthorId)))
                    .Append("</td><td>").Append(E(n.Text)).Append("</td></tr>");
            }

            body.Append("</table></section>");
        }

        // The section's check assumes the reader wrote the notes (a gate an author passes and nobody else); then each note is
        // decided by its own author, and EF Core redacts (and audits as denied) the notes of other authors.
        if (await Gate("Psychotherapy notes", DataCategory.PsychotherapyNote, [SensitivityLabel.PsychotherapyNote], access.Actor.Id) is not null)
        {
            List<PsychotherapyNote> rows = await db.PsychotherapyNotes.AsNoTracking().Where(n => n.PatientId == patientId).ToListAsync(cancel);
            if (rows.Count == 0)
            {
                body.Append("<p>None.</p>");
            }

            foreach (PsychotherapyNote n in rows.OrderBy(n => n.WrittenAt))
            {
                AccessDecision decision = DecideRow(DataCategory.PsychotherapyNote, n.AuthorId, SensitivityLabel.PsychotherapyNote);
                body.Append("<div class=\"psychotherapy-note\"><p>").Append(E(n.WrittenAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))).Append(" · ").Append(E(NameOf(n.AuthorId))).Append("</p>");
                body.Append(decision.IsPermitted
                    ? "<p>" + E(n.Text) + "</p>"
                    : Withheld("this psychotherapy note", decision.Rule.Id, decision.Explanation, decision.Rule.Citation));
                body.Append("</div>");
            }

            body.Append("</section>");
        }

        if (await Gate("Medications", DataCategory.Medication) is not null)
        {
            List<Prescription> rows = await db.Prescriptions.AsNoTracking().Where(m => m.PatientId == patientId).ToListAsync(cancel);
            body.Append("<table><tr><th>Drug</th><th>Dose</th><th>Since</th><th>Prescriber</th></tr>");
            foreach (Prescription m in rows)
            {
                body.Append("<tr class=\"medication\"><td>").Append(E(m.Drug)).Append("</td><td>").Append(E(m.Dose)).Append("</td><td>")
                    .Append(E(m.StartedOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))).Append("</td><td>").Append(E(NameOf(m.PrescriberId))).Append("</td></tr>");
            }

            body.Append(rows.Count == 0 ? "<tr><td colspan=\"4\">None.</td></tr>" : string.Empty).Append("</table></section>");
        }

        if (await Gate("Diagnoses", DataCategory.Diagnosis) is { } diagnoses)
        {
            List<Diagnosis> rows = await db.Diagnoses.AsNoTracking().Where(d => d.PatientId == patientId).ToListAsync(cancel);
            bool narrativeVisible = diagnoses.FieldMask?.IsVisible(nameof(Diagnosis.Narrative)) ?? true;
            body.Append("<table><tr><th>Code</th><th>Diagnosis</th><th>Narrative</th></tr>");
            foreach (Diagnosis d in rows)
            {
                body.Append("<tr class=\"diagnosis\"><td>").Append(E(d.Code)).Append("</td><td>").Append(E(d.Display)).Append("</td><td>")
                    .Append(narrativeVisible
                        ? E(d.Narrative)
                        : "<span class=\"masked\" data-rule=\"obligation.minimum-necessary\">Masked: only " + E(diagnoses.FieldMask) + " may be shown to this role (minimum necessary, 45 CFR 164.502(b)).</span>")
                    .Append("</td></tr>");
            }

            body.Append("</table></section>");
        }

        if (await Gate("Claims", DataCategory.Claim) is not null)
        {
            List<Claim> rows = await db.Claims.AsNoTracking().Where(c => c.PatientId == patientId).ToListAsync(cancel);
            body.Append("<table><tr><th>Service date</th><th>CPT</th><th>Payer</th><th>Amount</th><th>Status</th></tr>");
            foreach (Claim c in rows.OrderBy(c => c.ServiceDate))
            {
                body.Append("<tr class=\"claim\"><td>").Append(E(c.ServiceDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))).Append("</td><td>").Append(E(c.ProcedureCode))
                    .Append("</td><td>").Append(E(c.Payer)).Append("</td><td>").Append(E((c.AmountCents / 100m).ToString("C", CultureInfo.GetCultureInfo("en-US"))))
                    .Append("</td><td>").Append(E(c.Status)).Append("</td></tr>");
            }

            body.Append("</table></section>");
        }

        if (await Gate("SUD program records (42 CFR Part 2)", DataCategory.ProgressNote, [SensitivityLabel.SubstanceUseDisorder]) is not null)
        {
            List<SudProgramRecord> rows = await db.SudProgramRecords.AsNoTracking().Where(r => r.PatientId == patientId).ToListAsync(cancel);
            if (rows.Count == 0)
            {
                body.Append("<p>Not in the SUD program.</p>");
            }

            foreach (SudProgramRecord r in rows)
            {
                body.Append("<p class=\"part2-record\"><span class=\"label\">42 CFR Part 2</span> ").Append(E(r.WrittenAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)))
                    .Append(" · ").Append(E(NameOf(r.AuthorId))).Append(": ").Append(E(r.Summary)).Append("</p>");
            }

            if (rows.Count > 0 && !emergency)
            {
                body.Append("<form method=\"post\" action=\"/patients/").Append(patientId).Append("/disclose\">Disclose these records to ")
                    .Append("<select name=\"recipient\" id=\"recipient\"><option value=\"").Append(ClinicSeed.CountyHospital).Append("\">County Hospital (").Append(ClinicSeed.CountyHospital)
                    .Append(")</option><option value=\"").Append(ClinicSeed.RecoveryCenter).Append("\">Harbor Recovery Center (").Append(ClinicSeed.RecoveryCenter).Append(")</option></select>")
                    .Append(" for treatment <button type=\"submit\" id=\"disclose\">Disclose</button></form>");
            }

            body.Append("</section>");
        }

        if (await Gate("Consents and authorizations", DataCategory.Consent) is not null)
        {
            body.Append("<table><tr><th>Id</th><th>Kind</th><th>Recipients</th><th>Purposes</th><th>Categories</th><th>Valid</th></tr>");
            foreach (Consent c in consents)
            {
                body.Append("<tr><td>").Append(E(c.Id)).Append("</td><td>").Append(E(c.Kind)).Append("</td><td>").Append(E(string.Join(", ", c.Recipients)))
                    .Append("</td><td>").Append(E(string.Join(", ", c.Purposes.Select(p => p.Code)))).Append("</td><td>").Append(E(string.Join(", ", c.Categories.Select(x => x.Name))))
                    .Append("</td><td>").Append(c.IsValidAt(time.GetUtcNow()) ? "in force" : "not in force").Append("</td></tr>");
            }

            body.Append(consents.Count == 0 ? "<tr><td colspan=\"6\">None on file.</td></tr>" : string.Empty).Append("</table></section>");
        }

        if (careTeamRefused && clinical && !emergency)
        {
            body.Insert(0, "<div class=\"banner\">You do not treat this patient, so their chart is withheld. In an emergency you may "
                + $"<a class=\"button danger\" id=\"break-glass\" href=\"/patients/{patientId}{BreakGlassPath}\">Break the glass</a> (you will be asked why).</div>");
        }

        return Page(http.User, "Chart #" + Number(patientId), body.ToString());
    }

    private static async Task<IResult> DiscloseAsync(HttpContext http, Guid patientId, PhiDisclosures disclosures, IDbContextFactory<ClinicDb> contexts)
    {
        IFormCollection form = await http.Request.ReadFormAsync();
        string recipient = form["recipient"].ToString();
        if (recipient is not (ClinicSeed.CountyHospital or ClinicSeed.RecoveryCenter))
        {
            return Page(http.User, "Unknown recipient", "<p>Pick a recipient from the list.</p>", StatusCodes.Status400BadRequest);
        }

        List<string> keys;
        await using (ClinicDb db = await contexts.CreateDbContextAsync(http.RequestAborted))
        {
            keys = [.. (await db.SudProgramRecords.AsNoTracking().Where(r => r.PatientId == patientId).ToListAsync(http.RequestAborted)).Select(r => "SudProgramRecord/" + r.Id.ToString("D"))];
        }

        AccessDecision decision = await disclosures.DecideAndRecordAsync(
            new DisclosureRequest
            {
                PatientId = patientId.ToString("D"),
                Category = DataCategory.ProgressNote,
                Labels = [SensitivityLabel.SubstanceUseDisorder],
                Recipient = recipient,
                Description = "SUD program records (progress notes)",
                RecordKeys = keys,
            },
            http.RequestAborted);
        return Page(http.User, "Disclosure to " + recipient, DisclosureHtml(decision, recipient) + $"<p><a href=\"/patients/{patientId}\">Back to the chart</a></p>");
    }

    /// <summary>A disclosure decision as a page fragment: refused with the rule, or permitted with the 42 CFR 2.32 notice.</summary>
    public static string DisclosureHtml(AccessDecision decision, string recipient)
    {
        if (!decision.IsPermitted)
        {
            return "<div id=\"disclosure-result\" class=\"deny\">" + Withheld("disclosure to " + recipient, decision.Rule.Id, decision.Explanation, decision.Rule.Citation) + "</div>";
        }

        var html = new StringBuilder("<div id=\"disclosure-result\" class=\"permit\"><p><strong>Permitted</strong> ")
            .Append(E(decision.Explanation)).Append(" <span class=\"rule\">[").Append(E(decision.Rule.Id)).Append(" · consent ").Append(E(decision.ConsentId)).Append("]</span></p><ul>");
        foreach (PolicyRule reason in decision.Reasons.Skip(1))
        {
            html.Append("<li>").Append(E(reason)).Append("</li>");
        }

        html.Append("</ul>");
        if (decision.HasObligation(Obligation.RedisclosureNotice))
        {
            html.Append("<p><strong>Sent with the redisclosure notice (42 CFR 2.32):</strong></p><pre id=\"redisclosure-notice\">").Append(E(RedisclosureNotice.Text)).Append("</pre>");
        }

        return html.Append("</div>").ToString();
    }

    private static int Number(Guid patientId) => ClinicSeed.Default.Patients.FirstOrDefault(p => p.Id == patientId)?.Number ?? 0;
}
