using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hipaa.AspNetCore.Tests.Infrastructure;

namespace Hipaa.AspNetCore.Tests.EndToEnd;

/// <summary>
/// Users of four roles — a therapist and a psychiatrist on Ada's care team, Billing, the front desk — and a therapist off
/// the care team call the same patient endpoints of a real Kestrel host on 127.0.0.1. ASP.NET Core refuses at the category
/// level (403, the rule in the problem body, nothing read and nothing recorded under the request); EF Core enforcement
/// redacts what the category check cannot know (the author of a psychotherapy note, Billing's field mask) and refuses
/// writes to a patient the check never saw. For each call the test asserts the status, exactly which PHI the body shows,
/// and the audit records the request produced in hipaa_audit: actor, patient, action, entity, outcome, purpose, client
/// address, request id (the response's X-Request-Id, which is HttpContext.TraceIdentifier) and the decision.
/// </summary>
public abstract partial class PatientEndpointsEndToEndTests(string provider) : IAsyncLifetime
{
    private const string Permit = "Permit matrix.role-permission";
    private const string EmergencyReason = "Patient unresponsive in the lobby; the on-call clinician needs her recent notes.";

    private readonly Chart _chart = new();
    private EndToEndDatabase? _database;
    private ClinicHost? _host;

    private EndToEndDatabase Database => _database ?? throw new InvalidOperationException("Not initialized.");

    private ClinicHost Host => _host ?? throw new InvalidOperationException("Not initialized.");

    private string Ada => Chart.Id(_chart.Ada);

    public async Task InitializeAsync()
    {
        _database = EndToEndDatabase.Create(provider);
        _host = await ClinicHost.StartAsync(_database, _chart.SeedAsync);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        _database?.Dispose();
    }

    [Fact]
    public async Task Demographics_FourRolesAndAnOffTeamTherapist_EveryRoleOfTheCareTeamOrPracticeSeesThemAndEachReadIsAudited()
    {
        Assert.Equal(("127.0.0.1", false), (Host.Address.Host, Host.Address.IsDefaultPort));

        foreach ((TestUser user, string purpose) in new[] { (_chart.Therapist, "TREAT"), (_chart.Psychiatrist, "TREAT"), (_chart.Billing, "HPAYMT"), (_chart.FrontDesk, "HOPERAT") })
        {
            Call call = await GetAsync("demographics", user);
            Assert.Equal(HttpStatusCode.OK, call.Status);
            AssertShowsOnly(call, "name", "ssn");
            Assert.Equal((Ada, Chart.AdaName, Chart.AdaSsn, "1985-12-10"), (Str(call.Json, "patientId"), Str(call.Json, "name"), Str(call.Json, "ssn"), Str(call.Json, "birthDate")));
            AssertSingleRead(call, "Patient", "Success", purpose, Permit);
        }

        AssertRefused(await GetAsync("demographics", _chart.OffTeamTherapist), "matrix.care-team-required");
    }

    [Fact]
    public async Task ProgressNotes_FourRolesAndAnOffTeamTherapist_OnlyTheCareTeamCliniciansReadThemAndNoOtherReadIsRecorded()
    {
        foreach (TestUser clinician in new[] { _chart.Therapist, _chart.Psychiatrist })
        {
            Call call = await GetAsync("progress-notes", clinician);
            Assert.Equal(HttpStatusCode.OK, call.Status);
            AssertShowsOnly(call, "therapist's progress note", "psychiatrist's progress note");
            Assert.Equal(
                [(_chart.TherapistNote.ToString(), "u-ther", Chart.TherapistNoteText), (_chart.PsychiatristNote.ToString(), "u-psy", Chart.PsychiatristNoteText)],
                Items(call.Json, "notes").Select(n => (Str(n, "id"), Str(n, "writtenBy"), Str(n, "text"))));
            AssertSingleRead(call, "ProgressNote", "Success", "TREAT", Permit);
        }

        // Billing sees claims and what a claim needs, the front desk demographics and scheduling: no clinical notes.
        AssertRefused(await GetAsync("progress-notes", _chart.Billing), "matrix.not-permitted");
        AssertRefused(await GetAsync("progress-notes", _chart.FrontDesk), "matrix.not-permitted");
        AssertRefused(await GetAsync("progress-notes", _chart.OffTeamTherapist), "matrix.care-team-required");
    }

    [Fact]
    public async Task Medications_FourRolesAndAnOffTeamTherapist_OnlyThePsychiatristSeesPrescriptions()
    {
        Call psychiatrist = await GetAsync("medications", _chart.Psychiatrist);
        Assert.Equal(HttpStatusCode.OK, psychiatrist.Status);
        AssertShowsOnly(psychiatrist, "drug", "dose");
        Assert.Equal(
            [(_chart.Prescription.ToString(), Chart.Drug, Chart.Dose)],
            Items(psychiatrist.Json, "medications").Select(m => (Str(m, "id"), Str(m, "drug"), Str(m, "dose"))));
        AssertSingleRead(psychiatrist, "Prescription", "Success", "TREAT", Permit);

        // A therapist needs progress notes, not prescriptions — on the care team or not.
        AssertRefused(await GetAsync("medications", _chart.Therapist), "matrix.not-permitted");
        AssertRefused(await GetAsync("medications", _chart.OffTeamTherapist), "matrix.not-permitted");
        AssertRefused(await GetAsync("medications", _chart.Billing), "matrix.not-permitted");
        AssertRefused(await GetAsync("medications", _chart.FrontDesk), "matrix.not-permitted");
    }

    [Fact]
    public async Task Claims_FourRolesAndAnOffTeamTherapist_OnlyBillingSeesClaims()
    {
        Call billing = await GetAsync("claims", _chart.Billing);
        Assert.Equal(HttpStatusCode.OK, billing.Status);
        AssertShowsOnly(billing, "payer");
        JsonElement claim = Assert.Single(Items(billing.Json, "claims"));
        Assert.Equal(
            (_chart.Claim.ToString(), "90837", Chart.DiagnosisCode, Chart.ClaimPayer, 180.00m),
            (Str(claim, "id"), Str(claim, "procedureCode"), Str(claim, "diagnosisCode"), Str(claim, "payer"), claim.GetProperty("amount").GetDecimal()));
        AssertSingleRead(billing, "InsuranceClaim", "Success", "HPAYMT", Permit);

        AssertRefused(await GetAsync("claims", _chart.Therapist), "matrix.not-permitted");
        AssertRefused(await GetAsync("claims", _chart.Psychiatrist), "matrix.not-permitted");
        AssertRefused(await GetAsync("claims", _chart.FrontDesk), "matrix.not-permitted");
        AssertRefused(await GetAsync("claims", _chart.OffTeamTherapist), "matrix.not-permitted");
    }

    [Fact]
    public async Task Diagnoses_FourRolesAndAnOffTeamTherapist_CliniciansSeeTheNarrativeBillingOnlyTheCodeFrontDeskNothing()
    {
        foreach (TestUser clinician in new[] { _chart.Therapist, _chart.Psychiatrist })
        {
            Call call = await GetAsync("diagnoses", clinician);
            Assert.Equal(HttpStatusCode.OK, call.Status);
            Assert.Null(call.Obligations);
            AssertShowsOnly(call, "narrative");
            JsonElement diagnosis = Assert.Single(Items(call.Json, "diagnoses"));
            Assert.Equal(
                (Chart.DiagnosisCode, "ICD-10-CM", Chart.DiagnosisDisplay, Chart.Narrative),
                (Str(diagnosis, "code"), Str(diagnosis, "codeSystem"), Str(diagnosis, "display"), Str(diagnosis, "narrative")));
            AuditRow read = AssertSingleRead(call, "Diagnosis", "Success", "TREAT", Permit);
            Assert.Empty(read.RedactedFields);
        }

        // ASP.NET Core permits Billing with MaskFields; the endpoint applies no mask of its own, and EF Core enforcement
        // withholds the narrative: Billing gets the code for the claim, never the clinician's narrative.
        Call billing = await GetAsync("diagnoses", _chart.Billing);
        Assert.Equal(HttpStatusCode.OK, billing.Status);
        Assert.Equal("MaskFields", billing.Obligations);
        AssertShowsOnly(billing);
        JsonElement masked = Assert.Single(Items(billing.Json, "diagnoses"));
        Assert.Equal(
            (_chart.Diagnosis.ToString(), Chart.DiagnosisCode, "ICD-10-CM", Chart.DiagnosisDisplay, JsonValueKind.Null),
            (Str(masked, "id"), Str(masked, "code"), Str(masked, "codeSystem"), Str(masked, "display"), masked.GetProperty("narrative").ValueKind));
        AuditRow billingRead = AssertSingleRead(billing, "Diagnosis", "Success", "HPAYMT", Permit + "; obligations: MaskFields");
        Assert.Equal(["Narrative"], billingRead.RedactedFields);
        Assert.DoesNotContain("Narrative", billingRead.Fields);

        AssertRefused(await GetAsync("diagnoses", _chart.FrontDesk), "matrix.not-permitted");
        AssertRefused(await GetAsync("diagnoses", _chart.OffTeamTherapist), "matrix.care-team-required");
    }

    [Fact]
    public async Task PsychotherapyNotes_FourRolesAndAnOffTeamTherapist_EachNoteReachesOnlyItsAuthorTheOthersComeBackRedacted()
    {
        // The category check cannot know a note's author, so it lets clinicians through as possible authors; EF Core
        // decides each row with its author and redacts the notes of others (Text and AuthorId reset, the key kept).
        foreach ((TestUser author, Guid own, Guid others, string ownKey, string ownText) in new[]
        {
            (_chart.Therapist, _chart.TherapistPsychotherapyNote, _chart.PsychiatristPsychotherapyNote, "therapist's process note", Chart.TherapistProcessNote),
            (_chart.Psychiatrist, _chart.PsychiatristPsychotherapyNote, _chart.TherapistPsychotherapyNote, "psychiatrist's process note", Chart.PsychiatristProcessNote),
        })
        {
            Call call = await GetAsync("psychotherapy-notes", author);
            Assert.Equal(HttpStatusCode.OK, call.Status);
            AssertShowsOnly(call, ownKey);
            Dictionary<string, (string? AuthorId, string? Text)> notes = Items(call.Json, "notes").ToDictionary(n => Str(n, "id")!, n => (Str(n, "authorId"), Str(n, "text")));
            Assert.Equal(2, notes.Count);
            Assert.Equal((UserId(author), ownText), notes[own.ToString()]);
            Assert.Equal((string.Empty, string.Empty), notes[others.ToString()]);

            Assert.Equal(2, call.Audit.Count);
            AuditRow permitted = Assert.Single(call.Audit, r => r.Outcome == "Success");
            AssertRecord(permitted, call, "Read", "PsychotherapyNote", "Success", "TREAT", "Permit notes.author-use");
            Assert.Empty(permitted.RedactedFields);
            AuditRow denied = Assert.Single(call.Audit, r => r.Outcome == "Denied");
            AssertRecord(denied, call, "Read", "PsychotherapyNote", "Denied", "TREAT", "Deny notes.authorization-required");
            Assert.Equal(["AuthorId", "Text"], denied.RedactedFields.Order(StringComparer.Ordinal));
        }

        // Off the care team: the author's own use needs no care team, so the gate lets the therapist through; neither note
        // is theirs, and both come back redacted, recorded as one denied read.
        Call offTeam = await GetAsync("psychotherapy-notes", _chart.OffTeamTherapist);
        Assert.Equal(HttpStatusCode.OK, offTeam.Status);
        AssertShowsOnly(offTeam);
        Assert.All(Items(offTeam.Json, "notes"), n => Assert.Equal((string.Empty, string.Empty), (Str(n, "authorId"), Str(n, "text"))));
        Assert.Equal(2, Items(offTeam.Json, "notes").Count);
        AuditRow offTeamRead = AssertSingleRead(offTeam, "PsychotherapyNote", "Denied", "TREAT", "Deny notes.authorization-required");
        Assert.Equal(["AuthorId", "Text"], offTeamRead.RedactedFields.Order(StringComparer.Ordinal));

        AssertRefused(await GetAsync("psychotherapy-notes", _chart.Billing), "notes.never-billing");
        AssertRefused(await GetAsync("psychotherapy-notes", _chart.FrontDesk), "notes.authorization-required");
    }

    [Fact]
    public async Task CreateProgressNote_FourRolesAndAnOffTeamTherapist_OnlyTheCareTeamCliniciansWriteAndEachWriteIsAudited()
    {
        foreach (TestUser clinician in new[] { _chart.Therapist, _chart.Psychiatrist })
        {
            string text = "Follow-up by " + UserId(clinician) + ": plan unchanged.";
            Call call = await PostNoteAsync(_chart.Ada, new NewProgressNote(text), clinician);
            Assert.Equal(HttpStatusCode.Created, call.Status);
            string id = Str(call.Json, "id")!;
            Assert.Equal(Ada, Str(call.Json, "patientId"));

            AuditRow created = Assert.Single(call.Audit);
            AssertRecord(created, call, "Create", "ProgressNote", "Success", "TREAT", Permit);
            Assert.Equal([id], created.RecordKeys);
            Assert.Equal(["Id", "PatientId", "Text", "WrittenAt", "WrittenBy"], created.Fields.Order(StringComparer.Ordinal));

            Call read = await GetAsync("progress-notes", clinician);
            Assert.Contains(Items(read.Json, "notes"), n => Str(n, "id") == id && Str(n, "text") == text && Str(n, "writtenBy") == UserId(clinician));
        }

        int notesBefore = await CountNotesAsync(_chart.Ada);
        foreach ((TestUser user, string rule) in new[]
        {
            (_chart.Billing, "matrix.not-permitted"),
            (_chart.FrontDesk, "matrix.not-permitted"),
            (_chart.OffTeamTherapist, "matrix.care-team-required"),
        })
        {
            AssertRefused(await PostNoteAsync(_chart.Ada, new NewProgressNote("written by " + user.Name), user), rule);
        }

        Assert.Equal(notesBefore, await CountNotesAsync(_chart.Ada));
    }

    [Fact]
    public async Task CreateProgressNote_BodyNamesAPatientOffTheCareTeam_EfCoreRefusesTheWriteTheRouteCheckNeverSaw()
    {
        int before = await CountNotesAsync(_chart.Ben);

        // The route names Ada (the therapist's patient), so ASP.NET Core permits; the body names Ben, and the endpoint
        // trusts it. EF Core decides the row itself and refuses before anything reaches the database.
        Call call = await PostNoteAsync(_chart.Ada, new NewProgressNote("smuggled into another chart", _chart.Ben), _chart.Therapist);

        Assert.Equal(HttpStatusCode.Forbidden, call.Status);
        Assert.Equal("matrix.care-team-required", Str(call.Json, "ruleId"));
        Assert.DoesNotContain("smuggled", call.Body, StringComparison.Ordinal);
        AuditRow denied = Assert.Single(call.Audit);
        AssertRecord(denied, call, "Create", "ProgressNote", "Denied", "TREAT", "Deny matrix.care-team-required", patientId: Chart.Id(_chart.Ben));
        Assert.Single(denied.RecordKeys);
        Assert.Equal(before, await CountNotesAsync(_chart.Ben));
    }

    [Fact]
    public async Task BreakTheGlass_ClinicianOffTheCareTeamStatesAnEmergency_PermittedFlaggedForReviewAndTheReasonIsAudited()
    {
        Call call = await GetAsync(
            "progress-notes",
            _chart.OffTeamTherapist,
            (HttpExtensions.PurposeHeader, "ETREAT"),
            (HttpExtensions.ReasonHeader, EmergencyReason));

        Assert.Equal(HttpStatusCode.OK, call.Status);
        Assert.Equal("BreakGlassReview", call.Obligations);
        AssertShowsOnly(call, "therapist's progress note", "psychiatrist's progress note");
        AuditRow read = AssertSingleRead(call, "ProgressNote", "Success", "ETREAT", "Permit break-glass.emergency-access; obligations: BreakGlassReview", EmergencyReason);
        Assert.Empty(read.RedactedFields);

        // Without the emergency the same request is refused; the law never opens psychotherapy notes this way; an emergency
        // needs its reason; and only clinical roles may break the glass.
        AssertRefused(await GetAsync("progress-notes", _chart.OffTeamTherapist), "matrix.care-team-required");
        AssertRefused(
            await GetAsync("psychotherapy-notes", _chart.OffTeamTherapist, (HttpExtensions.PurposeHeader, "ETREAT"), (HttpExtensions.ReasonHeader, EmergencyReason)),
            "notes.no-break-glass");
        AssertRefused(await GetAsync("progress-notes", _chart.OffTeamTherapist, (HttpExtensions.PurposeHeader, "ETREAT")), "break-glass.reason-required");
        AssertRefused(
            await GetAsync("progress-notes", _chart.Billing, (HttpExtensions.PurposeHeader, "ETREAT"), (HttpExtensions.ReasonHeader, EmergencyReason)),
            "purpose.role-fit");

        // Only the permitted emergency read succeeded with the reason; the refused emergency attempts are in the trail too,
        // as Denied with the reason stated, for the compliance officer's review.
        var withReason = AuditRow.ReadAll(Database).Where(r => r.BreakGlassReason is not null).ToList();
        Assert.Equal([call.RequestId], withReason.Where(r => r.Outcome == "Success").Select(r => r.RequestId));
        Assert.Equal(2, withReason.Count(r => r.Outcome == "Denied" && r.BreakGlassReason == EmergencyReason));
    }

    [Fact]
    public async Task ParallelRequests_TwentyUsersOfFourRoles_EveryAuditRecordIsAttributedToTheUserWhoMadeTheRequest()
    {
        var calls = new List<(TestUser User, string Endpoint, string Entity, string Purpose, string[] Visible)>();
        for (int i = 0; i < 5; i++)
        {
            calls.Add((new TestUser($"therapist {i}", ("sub", $"u-ther-p{i}"), ("role", "Therapist"), ("care_team", Ada)), "progress-notes", "ProgressNote", "TREAT", ["therapist's progress note", "psychiatrist's progress note"]));
            calls.Add((new TestUser($"psychiatrist {i}", ("sub", $"u-psy-p{i}"), ("role", "Psychiatrist"), ("care_team", Ada)), "medications", "Prescription", "TREAT", ["drug", "dose"]));
            calls.Add((new TestUser($"billing {i}", ("sub", $"u-bill-p{i}"), ("role", "Billing")), "claims", "InsuranceClaim", "HPAYMT", ["payer"]));
            calls.Add((new TestUser($"front desk {i}", ("sub", $"u-desk-p{i}"), ("role", "FrontDesk")), "demographics", "Patient", "HOPERAT", ["name", "ssn"]));
        }

        Task<Call>[] running = [.. calls.Select(c => Task.Run(() => GetAsync(c.Endpoint, c.User)))];
        Call[] results = await Task.WhenAll(running);

        Assert.Equal(20, results.Select(r => r.RequestId).Distinct(StringComparer.Ordinal).Count());
        for (int i = 0; i < calls.Count; i++)
        {
            Call call = results[i];
            Assert.Equal(HttpStatusCode.OK, call.Status);
            AssertShowsOnly(call, calls[i].Visible);
            AssertSingleRead(call, calls[i].Entity, "Success", calls[i].Purpose, Permit);
        }

        // Read back from the table as a whole: every record of these requests names the user of its request.
        var userOfRequest = results.ToDictionary(r => r.RequestId, r => UserId(r.User), StringComparer.Ordinal);
        List<AuditRow> trail = [.. AuditRow.ReadAll(Database).Where(r => r.RequestId is not null && userOfRequest.ContainsKey(r.RequestId))];
        Assert.Equal(20, trail.Count);
        Assert.All(trail, r => Assert.Equal(userOfRequest[r.RequestId!], r.ActorId));
    }

    private static string UserId(TestUser user) => user.Claims.Single(c => c.Type == "sub").Value;

    private static string[] Roles(TestUser user) => [.. user.Claims.Where(c => c.Type == "role").Select(c => c.Value)];

    private static string? ClientApplication(TestUser user) => user.Claims.Where(c => c.Type == "azp").Select(c => c.Value).SingleOrDefault();

    private static string? Str(JsonElement element, string name) => element.GetProperty(name).ValueKind == JsonValueKind.Null ? null : element.GetProperty(name).ToString();

    private static List<JsonElement> Items(JsonElement element, string name) => [.. element.GetProperty(name).EnumerateArray()];

    /// <summary>A refusal at the category level: 403 with the rule, no PHI and no patient id in the body, nothing read.</summary>
    private void AssertRefused(Call call, string ruleId)
    {
        Assert.Equal(HttpStatusCode.Forbidden, call.Status);
        Assert.Equal(ruleId, Str(call.Json, "ruleId"));
        Assert.DoesNotContain(Ada, call.Body, StringComparison.OrdinalIgnoreCase);
        AssertShowsOnly(call);

        // The endpoint never ran: nothing was read; the refused attempt itself is in the trail, as Denied.
        Assert.DoesNotContain(call.Audit, r => r.Outcome == "Success");
        var refused = Assert.Single(call.Audit);
        Assert.Equal(("Denied", "Deny " + ruleId), (refused.Outcome, refused.Decision));
        Assert.Equal(UserId(call.User), refused.ActorId);
    }

    /// <summary>The body shows exactly the chart's PHI values named (by their key in <see cref="Chart.Phi"/>), no other.</summary>
    private static void AssertShowsOnly(Call call, params string[] visible)
    {
        foreach ((string what, string value) in Chart.Phi)
        {
            if (visible.Contains(what))
            {
                Assert.True(call.Body.Contains(value, StringComparison.Ordinal), $"{call.User} should see the {what}: {call.Body}");
            }
            else
            {
                Assert.False(call.Body.Contains(value, StringComparison.Ordinal), $"{call.User} must not see the {what}: {call.Body}");
            }
        }
    }

    private AuditRow AssertSingleRead(Call call, string entity, string outcome, string purpose, string decision, string? breakGlassReason = null)
    {
        AuditRow record = Assert.Single(call.Audit);
        AssertRecord(record, call, "Read", entity, outcome, purpose, decision, breakGlassReason: breakGlassReason);
        return record;
    }

    private void AssertRecord(
        AuditRow record,
        Call call,
        string action,
        string entity,
        string outcome,
        string purpose,
        string decision,
        string? breakGlassReason = null,
        string? patientId = null)
    {
        Assert.Equal(
            (UserId(call.User), string.Join(",", Roles(call.User)), ClientApplication(call.User), patientId ?? Ada, action, entity, outcome, purpose, "127.0.0.1", call.RequestId, breakGlassReason, decision),
            (record.ActorId, string.Join(",", record.ActorRoles), record.ClientApplication, record.PatientId, record.Action, record.Entity, record.Outcome, record.PurposeOfUse, record.ClientAddress, record.RequestId, record.BreakGlassReason, record.Decision));
    }

    private Task<Call> GetAsync(string endpoint, TestUser user, params (string Name, string Value)[] headers) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/patients/{Ada}/{endpoint}"), user, headers);

    private Task<Call> PostNoteAsync(Guid patient, NewProgressNote note, TestUser user) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/patients/{Chart.Id(patient)}/progress-notes") { Content = JsonContent.Create(note) }, user, []);

    private async Task<Call> SendAsync(HttpRequestMessage request, TestUser user, (string Name, string Value)[] headers, ClinicHost? host = null, EndToEndDatabase? database = null)
    {
        using (request)
        {
            request.Headers.Add(TestAuthenticationHandler.Header, user.HeaderValue);
            foreach ((string name, string value) in headers)
            {
                request.Headers.Add(name, value);
            }

            using HttpResponseMessage response = await (host ?? Host).Client.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.Headers.Contains(ClinicHost.RequestIdHeader), $"{(int)response.StatusCode} without {ClinicHost.RequestIdHeader}: {body}");
            string requestId = Assert.Single(response.Headers.GetValues(ClinicHost.RequestIdHeader));
            string? obligations = response.Headers.TryGetValues(HttpExtensions.ObligationsHeader, out var values) ? string.Join(",", values) : null;

            // Audit records are committed before EF Core hands the data to the endpoint, so they are in the table now.
            List<AuditRow> audit = [.. AuditRow.ReadAll(database ?? Database).Where(r => r.RequestId == requestId)];
            return new Call(user, response.StatusCode, body, requestId, obligations, audit);
        }
    }

    /// <summary>The patient's progress notes in the table, counted with ADO.NET (SQLite keeps a Guid as text, PostgreSQL as uuid).</summary>
    private async Task<int> CountNotesAsync(Guid patient)
    {
        await using var connection = Database.OpenConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"PatientId\" FROM \"ProgressNotes\"";
        await using var reader = await command.ExecuteReaderAsync();
        int count = 0;
        while (await reader.ReadAsync())
        {
            count += Guid.Parse(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!) == patient ? 1 : 0;
        }

        return count;
    }

    private sealed record Call(TestUser User, HttpStatusCode Status, string Body, string RequestId, string? Obligations, IReadOnlyList<AuditRow> Audit)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
    }
}

public sealed class SqlitePatientEndpointsEndToEndTests() : PatientEndpointsEndToEndTests("sqlite");

public sealed class PostgresPatientEndpointsEndToEndTests() : PatientEndpointsEndToEndTests("postgres");
