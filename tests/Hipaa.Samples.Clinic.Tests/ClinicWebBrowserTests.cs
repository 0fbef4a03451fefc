using Hipaa.Samples.Clinic.Seed;
using Microsoft.Playwright;

namespace Hipaa.Samples.Clinic.Tests;

/// <summary>
/// The sample web app end to end in headless Chromium: each role opens the same chart and sees what the default catalog
/// allows, withheld data marked with the rule and its reason; break-the-glass asks for a reason and the compliance page
/// shows the access for review; the compliance page shows who accessed the patient.
/// </summary>
public sealed class ClinicWebBrowserTests(ClinicAppFixture app) : IClassFixture<ClinicAppFixture>
{
    private static readonly SeedPatient Ada = ClinicSeed.Default.Ada;
    private static readonly SeedPatient Ben = ClinicSeed.Default.Ben;

    [ChromiumFact]
    public async Task Chart_AsTherapist_ShowsProgressNotesAndWithholdsPrescriptionsWithTheRule()
    {
        IPage page = await app.SignInAsync("u-ther-1");
        await page.GotoAsync($"/patients/{Ada.Id}");
        await ClinicAppFixture.ScreenshotAsync(page, "chart-therapist");

        Assert.Equal(Ada.Name, await page.InnerTextAsync("#patient-name"));
        string notes = await page.InnerTextAsync("section[data-category='ProgressNote']:has(h2:text('Progress notes'))");
        Assert.Contains("Reports improved sleep", notes, StringComparison.Ordinal);
        string medications = await page.InnerTextAsync("section[data-category='Medication']");
        Assert.Contains("Withheld: Medications.", medications, StringComparison.Ordinal);
        Assert.Contains("matrix.not-permitted", medications, StringComparison.Ordinal);
        Assert.Contains("none of the actor's roles may perform this action", medications, StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("tr.medication").CountAsync());
        Assert.DoesNotContain("sertraline", await page.ContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("buprenorphine", await page.ContentAsync(), StringComparison.Ordinal);
        // Her own psychotherapy note: the author reads it.
        Assert.Contains("transference", await page.InnerTextAsync("section[data-category='PsychotherapyNote']"), StringComparison.Ordinal);
    }

    [ChromiumFact]
    public async Task Chart_AsPsychiatrist_ShowsMedicationsAndWithholdsTheTherapistsPsychotherapyNote()
    {
        IPage page = await app.SignInAsync("u-psy-1");
        await page.GotoAsync($"/patients/{Ada.Id}");
        await ClinicAppFixture.ScreenshotAsync(page, "chart-psychiatrist");

        string medications = await page.InnerTextAsync("section[data-category='Medication']");
        Assert.Contains("buprenorphine/naloxone", medications, StringComparison.Ordinal);
        Assert.Contains("8 mg/2 mg sublingual daily", medications, StringComparison.Ordinal);
        string psychotherapy = await page.InnerTextAsync("section[data-category='PsychotherapyNote']");
        Assert.Contains("notes.authorization-required", psychotherapy, StringComparison.Ordinal);
        Assert.DoesNotContain("transference", psychotherapy, StringComparison.Ordinal);
    }

    [ChromiumFact]
    public async Task Chart_AsBilling_ShowsClaimsAndNothingClinical()
    {
        IPage page = await app.SignInAsync("u-bill-1");
        await page.GotoAsync($"/patients/{Ada.Id}");
        await ClinicAppFixture.ScreenshotAsync(page, "chart-billing");

        Assert.Equal(2, await page.Locator("tr.claim").CountAsync());
        Assert.Contains("90834", await page.InnerTextAsync("section[data-category='Claim']"), StringComparison.Ordinal);
        string html = await page.ContentAsync();
        Assert.DoesNotContain("Reports improved sleep", html, StringComparison.Ordinal);   // progress note
        Assert.DoesNotContain("transference", html, StringComparison.Ordinal);             // psychotherapy note
        Assert.DoesNotContain("buprenorphine", html, StringComparison.Ordinal);            // prescription
        Assert.DoesNotContain("Persistent worry", html, StringComparison.Ordinal);         // diagnosis narrative
        Assert.DoesNotContain("urine screen", html, StringComparison.Ordinal);             // Part 2 record
        Assert.Contains("notes.never-billing", await page.InnerTextAsync("section[data-category='PsychotherapyNote']"), StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("tr.progress-note").CountAsync());
        Assert.Equal(0, await page.Locator("p.part2-record").CountAsync());
        // Diagnoses: the codes only, the narrative masked, and the page says why.
        string diagnoses = await page.InnerTextAsync("section[data-category='Diagnosis']");
        Assert.Contains("F41.1", diagnoses, StringComparison.Ordinal);
        Assert.Contains("Masked: only Code, CodeSystem, Display", diagnoses, StringComparison.Ordinal);
    }

    [ChromiumFact]
    public async Task BreakTheGlass_AsksForAReasonThenShowsTheRecordAndTheReviewAppearsOnTheCompliancePage()
    {
        string reason = "Crisis in the waiting room, his therapist is away " + Guid.NewGuid().ToString("N")[..8];
        IPage therapist = await app.SignInAsync("u-ther-3");
        await therapist.GotoAsync($"/patients/{Ben.Id}");
        Assert.Contains("matrix.care-team-required", await therapist.InnerTextAsync("section[data-category='ProgressNote']"), StringComparison.Ordinal);
        Assert.Equal(0, await therapist.Locator("#patient-name").CountAsync());

        await therapist.ClickAsync("#break-glass");
        await therapist.WaitForSelectorAsync("textarea#reason");
        await ClinicAppFixture.ScreenshotAsync(therapist, "break-glass-form");
        Assert.True(await therapist.Locator("textarea#reason").GetAttributeAsync("required") is not null, "the reason is required");
        await therapist.FillAsync("textarea#reason", reason);
        await therapist.ClickAsync("#break-glass-submit");
        await therapist.WaitForSelectorAsync("#break-glass-banner");
        await ClinicAppFixture.ScreenshotAsync(therapist, "break-glass-chart");

        Assert.Contains(reason, await therapist.InnerTextAsync("#break-glass-banner"), StringComparison.Ordinal);
        Assert.Equal(Ben.Name, await therapist.InnerTextAsync("#patient-name"));
        Assert.True(await therapist.Locator("tr.progress-note").CountAsync() > 0, "the progress notes are shown");
        Assert.Contains("notes.no-break-glass", await therapist.InnerTextAsync("section[data-category='PsychotherapyNote']"), StringComparison.Ordinal);

        IPage compliance = await app.SignInAsync("u-priv-1");
        await compliance.GotoAsync("/compliance");
        ILocator review = compliance.Locator("#break-glass-reviews tr.break-glass", new() { HasText = reason });
        await ClinicAppFixture.ScreenshotAsync(compliance, "compliance-break-glass-pending");
        Assert.Equal(1, await review.CountAsync());
        string row = await review.InnerTextAsync();
        Assert.Contains("Priya Raman", row, StringComparison.Ordinal);
        Assert.Contains(Ben.Name, row, StringComparison.Ordinal);
        Assert.Contains("Pending", row, StringComparison.Ordinal);

        await review.Locator("input[name='finding']").FillAsync("Justified: documented crisis.");
        await review.Locator("button").ClickAsync();
        await compliance.WaitForURLAsync("**/compliance");
        string reviewed = await compliance.Locator("#break-glass-reviews tr.break-glass", new() { HasText = reason }).InnerTextAsync();
        Assert.Contains("Reviewed", reviewed, StringComparison.Ordinal);
        Assert.Contains("Justified: documented crisis.", reviewed, StringComparison.Ordinal);
    }

    [ChromiumFact]
    public async Task CompliancePage_ShowsWhoAccessedThePatientAndTheVerifiedTrail()
    {
        IPage nurse = await app.SignInAsync("u-nurse-1");
        await nurse.GotoAsync($"/patients/{Ada.Id}");
        Assert.Contains("buprenorphine", await nurse.InnerTextAsync("section[data-category='Medication']"), StringComparison.Ordinal);

        IPage compliance = await app.SignInAsync("u-priv-1");
        await compliance.GotoAsync($"/compliance?patientId={Ada.Id}");
        string accessed = await compliance.InnerTextAsync("#who-accessed");
        Assert.Contains("Joan Park, RN", accessed, StringComparison.Ordinal);
        ILocator nurseReads = compliance.Locator("#who-accessed tr.access", new() { HasText = "u-nurse-1" });
        Assert.True(await nurseReads.CountAsync() >= 5, "every section the nurse opened is recorded");
        Assert.Contains("Prescription", accessed, StringComparison.Ordinal);
        Assert.Contains("Omar Haddad", accessed, StringComparison.Ordinal); // the front desk registered her (the seed is audited too)

        await compliance.ClickAsync("#verify");
        await compliance.WaitForSelectorAsync("#verification-result");
        await ClinicAppFixture.ScreenshotAsync(compliance, "compliance-who-accessed");
        Assert.Equal("Verified", await compliance.InnerTextAsync("#verification-result"));
    }

    [ChromiumFact]
    public async Task PatientPortal_AsThePatient_GivesHerRecordWithoutThePsychotherapyNoteAndSaysWhy()
    {
        IPage patient = await app.SignInAsync(Ada.PatientId);
        await patient.WaitForSelectorAsync("#withheld-notice");
        await ClinicAppFixture.ScreenshotAsync(patient, "patient-record");

        Assert.Contains("1 record of the category PsychotherapyNote is not included", await patient.InnerTextAsync("#withheld-notice"), StringComparison.Ordinal);
        Assert.True(await patient.Locator("tr.record-entry").CountAsync() >= 8, "her demographics, appointments, notes, medication, diagnoses and claims");
        Assert.Equal(1, await patient.Locator("tr.record-entry", new() { HasText = "MedicationStatement/" }).CountAsync());
        Assert.DoesNotContain("PsychotherapyNote/", await patient.ContentAsync(), StringComparison.Ordinal);
    }

    [ChromiumFact]
    public async Task CompliancePage_AsTherapist_IsRefusedWithTheRule()
    {
        IPage therapist = await app.SignInAsync("u-ther-1");
        IResponse? response = await therapist.GotoAsync("/compliance");
        Assert.Equal(403, response!.Status);
        Assert.Contains("matrix.not-permitted", await response.TextAsync(), StringComparison.Ordinal);
    }
}
