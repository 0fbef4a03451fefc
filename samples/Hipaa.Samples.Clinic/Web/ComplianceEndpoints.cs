using System.Globalization;
using System.Text;
using Hipaa.AspNetCore;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing.Reports;
using Hipaa.Policy;
using Hipaa.Samples.Clinic.Compliance;
using Hipaa.Samples.Clinic.Model;
using Hipaa.Samples.Clinic.Seed;
using Microsoft.EntityFrameworkCore;
using static Hipaa.Samples.Clinic.Web.Html;

namespace Hipaa.Samples.Clinic.Web;

/// <summary>
/// The compliance officer's page, on <see cref="AuditReports"/> (every report is itself audited): who accessed a patient,
/// the accounting of disclosures and the Part 2 list, the break-the-glass accesses waiting for review, and the result of
/// verifying the trail (by <c>hipaa audit verify</c>: the verifier is not public API).
/// </summary>
internal static class ComplianceEndpoints
{
    public static void Map(WebApplication app)
    {
        var policy = PhiPolicy.For(DataCategory.AuditLog, PhiAction.Read);
        app.MapGet("/compliance", (HttpContext http, Guid? patientId) => PageAsync(http, patientId, verification: null)).RequireAuthorization(policy);
        app.MapPost("/compliance/verify", async (HttpContext http, ClinicSettings settings) =>
        {
            (int exit, string output) = await TrailVerification.VerifyAsync(settings, http.RequestAborted);
            return await PageAsync(http, null, (exit, output));
        }).RequireAuthorization(policy);
        app.MapPost("/compliance/reviews/{reviewId}", async (HttpContext http, string reviewId, IDbContextFactory<ClinicDb> contexts, TimeProvider time) =>
        {
            IFormCollection form = await http.Request.ReadFormAsync();
            await using ClinicDb db = await contexts.CreateDbContextAsync(http.RequestAborted);
            if (await db.BreakGlassReviews.FindAsync([reviewId], http.RequestAborted) is null)
            {
                db.BreakGlassReviews.Add(new BreakGlassReview
                {
                    Id = reviewId,
                    ReviewedBy = AccessContext.Current!.Actor.Id!,
                    ReviewedAt = time.GetUtcNow(),
                    Finding = form["finding"].ToString() is { Length: > 0 } finding ? finding : "Reviewed: emergency access justified.",
                });
                await db.SaveChangesAsync(http.RequestAborted);
            }

            return Results.Redirect("/compliance");
        }).RequireAuthorization(policy);
    }

    /// <summary>The break-the-glass accesses of the trail, one per request, with whether they were reviewed.</summary>
    public static async Task<List<(string Id, AuditRecord First, int Records, BreakGlassReview? Review)>> BreakGlassAccessesAsync(
        AuditReports reports, ClinicDb db, CancellationToken cancellationToken)
    {
        var accesses = new Dictionary<string, (AuditRecord First, int Records)>(StringComparer.Ordinal);
        await foreach (AuditRecord r in reports.ExportAsync(cancellationToken: cancellationToken))
        {
            if (r.BreakGlassReason is null || r.Outcome != AuditOutcome.Success)
            {
                continue;
            }

            string id = r.RequestId ?? r.RecordId.ToString("D");
            accesses[id] = accesses.TryGetValue(id, out var seen) ? (seen.First, seen.Records + 1) : (r, 1);
        }

        Dictionary<string, BreakGlassReview> reviews = await db.BreakGlassReviews.AsNoTracking().ToDictionaryAsync(r => r.Id, StringComparer.Ordinal, cancellationToken);
        return [.. accesses.Select(a => (a.Key, a.Value.First, a.Value.Records, reviews.GetValueOrDefault(a.Key)))];
    }

    private static async Task<IResult> PageAsync(HttpContext http, Guid? patientId, (int ExitCode, string Output)? verification)
    {
        var reports = http.RequestServices.GetRequiredService<AuditReports>();
        var contexts = http.RequestServices.GetRequiredService<IDbContextFactory<ClinicDb>>();
        var settings = http.RequestServices.GetRequiredService<ClinicSettings>();
        CancellationToken cancel = http.RequestAborted;
        await using ClinicDb db = await contexts.CreateDbContextAsync(cancel);
        var body = new StringBuilder();
        SeedPatient selected = ClinicSeed.Default.Patients.FirstOrDefault(p => p.Id == patientId) ?? ClinicSeed.Default.Ada;

        body.Append("<section><h2>Patient</h2><form method=\"get\" action=\"/compliance\"><select name=\"patientId\" id=\"compliance-patient\">");
        foreach (SeedPatient p in ClinicSeed.Default.Patients)
        {
            body.Append("<option value=\"").Append(p.Id).Append('"').Append(p == selected ? " selected" : string.Empty).Append(">#").Append(p.Number).Append(' ').Append(E(p.Name)).Append("</option>");
        }

        body.Append("</select> <button type=\"submit\">Show</button></form></section>");

        IReadOnlyList<AuditRecord> accessed = await reports.WhoAccessedAsync(selected.PatientId, cancellationToken: cancel);
        body.Append("<section id=\"who-accessed\"><h2>Who accessed ").Append(E(selected.Name)).Append("'s records (").Append(accessed.Count).Append(" audit records, newest first)</h2>")
            .Append("<table><tr><th>When (UTC)</th><th>Who</th><th>Action</th><th>Record</th><th>Outcome</th><th>Purpose</th><th>Decision</th><th>Break-the-glass reason</th></tr>");
        foreach (AuditRecord r in accessed.Reverse().Take(200))
        {
            body.Append("<tr class=\"access\"><td>").Append(E(r.OccurredAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))).Append("</td><td>")
                .Append(E(NameOf(r.ActorId))).Append(" <span class=\"rule\">").Append(E(r.ActorId)).Append(' ').Append(E(string.Join(",", r.ActorRoles))).Append("</span></td><td>")
                .Append(E(r.Action)).Append("</td><td>").Append(E(r.Entity)).Append("</td><td class=\"").Append(r.Outcome == AuditOutcome.Success ? "permit" : "deny").Append("\">")
                .Append(E(r.Outcome)).Append("</td><td>").Append(E(r.PurposeOfUse)).Append("</td><td class=\"rule\">").Append(E(r.Decision)).Append("</td><td>").Append(E(r.BreakGlassReason)).Append("</td></tr>");
        }

        body.Append("</table></section>");

        IReadOnlyList<DisclosureAccountingEntry> accounting = await reports.AccountingOfDisclosuresAsync(selected.PatientId, cancellationToken: cancel);
        IReadOnlyList<DisclosureAccountingEntry> part2 = await reports.Part2DisclosuresAsync(selected.PatientId, cancellationToken: cancel);
        AppendDisclosures(body, "accounting", "Accounting of disclosures (45 CFR 164.528)", accounting);
        AppendDisclosures(body, "part2-disclosures", "42 CFR Part 2 list of disclosures (§2.24)", part2);

        var accesses = await BreakGlassAccessesAsync(reports, db, cancel);
        body.Append("<section id=\"break-glass-reviews\"><h2>Break-the-glass reviews (").Append(accesses.Count(a => a.Review is null)).Append(" pending)</h2>")
            .Append("<table><tr><th>When (UTC)</th><th>Who</th><th>Patient</th><th>Reason</th><th>Records</th><th>Review</th></tr>");
        foreach (var a in accesses.OrderBy(a => a.Review is not null).ThenByDescending(a => a.First.OccurredAt))
        {
            body.Append("<tr class=\"break-glass\"><td>").Append(E(a.First.OccurredAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))).Append("</td><td>")
                .Append(E(NameOf(a.First.ActorId))).Append("</td><td>").Append(E(NameOf(a.First.PatientId))).Append("</td><td>").Append(E(a.First.BreakGlassReason))
                .Append("</td><td>").Append(a.Records).Append("</td><td>");
            body.Append(a.Review is null
                ? $"<form method=\"post\" action=\"/compliance/reviews/{E(Uri.EscapeDataString(a.Id))}\"><span class=\"deny\">Pending</span> <input name=\"finding\" placeholder=\"finding\"> <button type=\"submit\">Mark reviewed</button></form>"
                : $"<span class=\"permit\">Reviewed</span> by {E(NameOf(a.Review.ReviewedBy))}: {E(a.Review.Finding)}");
            body.Append("</td></tr>");
        }

        body.Append(accesses.Count == 0 ? "<tr><td colspan=\"6\">No break-the-glass access.</td></tr>" : string.Empty).Append("</table></section>");

        body.Append("<section id=\"verification\"><h2>Audit trail verification</h2><p>The hash chain and its signed checkpoints, checked against the signer's ")
            .Append("public key. The SDK's verifier is not public API, so this runs the compliance officer's tool: <code>").Append(E(TrailVerification.CommandLine(settings))).Append("</code></p>");
        if (verification is { } v)
        {
            string verdict = v.ExitCode switch
            {
                TrailVerification.Verified => "Verified",
                TrailVerification.Unanchored => "Not anchored",
                TrailVerification.Failed => "FAILED: the trail was changed",
                _ => "Could not verify (exit " + v.ExitCode.ToString(CultureInfo.InvariantCulture) + ")",
            };
            body.Append("<p id=\"verification-result\" class=\"").Append(v.ExitCode == 0 ? "permit" : "deny").Append("\"><strong>").Append(E(verdict)).Append("</strong></p><pre>").Append(E(v.Output)).Append("</pre>");
        }

        body.Append("<form method=\"post\" action=\"/compliance/verify\"><button type=\"submit\" id=\"verify\">Verify the audit trail now</button></form></section>");
        return Page(http.User, "Compliance", body.ToString());
    }

    private static void AppendDisclosures(StringBuilder body, string id, string title, IReadOnlyList<DisclosureAccountingEntry> entries)
    {
        body.Append("<section id=\"").Append(id).Append("\"><h2>").Append(E(title)).Append("</h2><table><tr><th>Date (UTC)</th><th>Recipient</th><th>What</th><th>Purpose</th><th>By</th></tr>");
        foreach (DisclosureAccountingEntry e in entries)
        {
            body.Append("<tr><td>").Append(E(e.DisclosedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture))).Append("</td><td>").Append(E(e.Recipient))
                .Append("</td><td>").Append(E(e.Description)).Append(' ').Append(E(string.Join(", ", e.Labels))).Append("</td><td>").Append(E(e.PurposeOfUse)).Append("</td><td>").Append(E(NameOf(e.ActorId))).Append("</td></tr>");
        }

        body.Append(entries.Count == 0 ? "<tr><td colspan=\"5\">None.</td></tr>" : string.Empty).Append("</table></section>");
    }
}
