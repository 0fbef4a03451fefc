using System.Net;
using Hipaa.AspNetCore.Tests.Infrastructure;

namespace Hipaa.AspNetCore.Tests.EndToEnd;

/// <summary>
/// What a privacy officer and an attacker try after the happy paths: refusals that must leave a trace (a resource check,
/// the access-context middleware's 400s), and lookups of one record by id that must be refused rather than answered with
/// the row redacted — ids intact, which confirms that another patient's record exists.
/// </summary>
public abstract partial class PatientEndpointsEndToEndTests
{
    private static readonly TestUser TherapistWithoutPatients = new("therapist without patients", ("sub", "u-ther-3"), ("role", "Therapist"));

    [Fact]
    public async Task ResourceCheck_Part2DisclosureWithoutConsent_RefusedAndTheRefusalIsAudited()
    {
        Call call = await PostAsync($"/patients/{Ada}/progress-notes/{_chart.TherapistNote}/disclosures?recipient=org-hospital", _chart.Therapist);

        Assert.Equal(HttpStatusCode.Forbidden, call.Status);
        Assert.Equal("disclosure.part2-consent-required", Str(call.Json, "ruleId"));
        AuditRow refused = Assert.Single(call.Audit);
        AssertRecord(refused, call, "Disclose", "ProgressNote", "Denied", "TREAT", "Deny disclosure.part2-consent-required");
    }

    [Theory]
    [InlineData("treat", null, null, "request.purpose-invalid")]
    [InlineData("TREAT", "it is urgent", null, "request.break-glass-reason-invalid")]
    [InlineData("TREAT", null, "COC", "request.purpose-conflict")]
    public async Task AccessContextMiddleware_MalformedPurposeOrReason_AnsweredBadRequestAndAudited(string purpose, string? reason, string? purposeClaim, string ruleId)
    {
        TestUser user = purposeClaim is null ? _chart.Therapist : _chart.Therapist.With("purpose_of_use", purposeClaim);
        (string, string)[] headers = reason is null
            ? [(HttpExtensions.PurposeHeader, purpose)]
            : [(HttpExtensions.PurposeHeader, purpose), (HttpExtensions.ReasonHeader, reason)];

        Call call = await GetAsync("progress-notes", user, headers);

        Assert.Equal(HttpStatusCode.BadRequest, call.Status);
        Assert.Equal(ruleId, Str(call.Json, "ruleId"));
        AssertShowsOnly(call);

        // The request was refused before any purpose was accepted: the record names who, where from and which endpoint.
        AuditRow refused = Assert.Single(call.Audit);
        AssertRecord(refused, call, "Read", "ProgressNote", "Denied", string.Empty, "Deny " + ruleId);
    }

    [Fact]
    public async Task LookupById_NoPatientInTheRoute_AnotherTeamsPatientsNoteIsRefusedNotReturnedRedacted()
    {
        Call call = await GetPathAsync($"/progress-notes/{_chart.TherapistNote}", _chart.OffTeamTherapist);

        Assert.Equal(HttpStatusCode.Forbidden, call.Status);
        Assert.Equal("matrix.care-team-required", Str(call.Json, "ruleId"));
        Assert.DoesNotContain(Ada, call.Body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(_chart.TherapistNote.ToString(), call.Body, StringComparison.OrdinalIgnoreCase);
        AssertShowsOnly(call);
        AuditRow denied = Assert.Single(call.Audit);
        AssertRecord(denied, call, "Read", "ProgressNote", "Denied", "TREAT", "Deny matrix.care-team-required");
    }

    [Fact]
    public async Task LookupById_NoPatientInTheRouteAndNoCareTeamAtAll_RefusedByTheCategoryCheckWithoutAnyRead()
    {
        // Without a patient in the route the category check decides for a patient the user treats; a clinician who treats
        // no one has none, and is not made to treat the requested patient for the decision.
        Call call = await GetPathAsync($"/progress-notes/{_chart.TherapistNote}", TherapistWithoutPatients);

        Assert.Equal(HttpStatusCode.Forbidden, call.Status);
        Assert.Equal("matrix.care-team-required", Str(call.Json, "ruleId"));
        Assert.DoesNotContain(Ada, call.Body, StringComparison.OrdinalIgnoreCase);
        AuditRow refused = Assert.Single(call.Audit);
        Assert.Equal(
            ("u-ther-3", null, "Read", "ProgressNote", "Denied", "Deny matrix.care-team-required", "127.0.0.1", call.RequestId),
            (refused.ActorId, refused.PatientId, refused.Action, refused.Entity, refused.Outcome, refused.Decision, refused.ClientAddress, refused.RequestId));
    }

    [Fact]
    public async Task LookupById_NoPatientInTheRoute_OwnPatientsNoteIsReturnedAndAudited()
    {
        Call call = await GetPathAsync($"/progress-notes/{_chart.TherapistNote}", _chart.Therapist);

        Assert.Equal(HttpStatusCode.OK, call.Status);
        AssertShowsOnly(call, "therapist's progress note");
        Assert.Equal((_chart.TherapistNote.ToString(), Ada), (Str(call.Json, "id"), Str(call.Json, "patientId")));
        AssertSingleRead(call, "ProgressNote", "Success", "TREAT", Permit);
    }

    [Fact]
    public async Task LookupById_RouteNamesOwnPatientButTheIdAnotherPatientsNote_RefusedNotReturnedRedacted()
    {
        string ben = Chart.Id(_chart.Ben);

        Call call = await GetAsync($"progress-notes/{_chart.BenNote}", _chart.Therapist);

        Assert.Equal(HttpStatusCode.Forbidden, call.Status);
        Assert.Equal("matrix.care-team-required", Str(call.Json, "ruleId"));
        Assert.DoesNotContain(ben, call.Body, StringComparison.OrdinalIgnoreCase);
        AssertShowsOnly(call);
        AuditRow denied = Assert.Single(call.Audit);
        AssertRecord(denied, call, "Read", "ProgressNote", "Denied", "TREAT", "Deny matrix.care-team-required", patientId: ben);
    }

    [Fact]
    public async Task LookupById_PracticeThatDoesNotConfirmExistence_AnswersADeniedRecordExactlyLikeAMissingOne()
    {
        // The practice's own configuration, over a chart of its own.
        var chart = new Chart();
        using EndToEndDatabase database = EndToEndDatabase.Create(provider);
        await using ClinicHost concealing = await ClinicHost.StartAsync(database, chart.SeedAsync, o => o.DeniedRecords = PhiDeniedRecordResponse.NotFound);
        string ada = Chart.Id(chart.Ada);

        Call denied = await SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/progress-notes/{chart.TherapistNote}"), chart.OffTeamTherapist, [], concealing, database);
        Call missing = await SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/progress-notes/{Guid.NewGuid()}"), chart.OffTeamTherapist, [], concealing, database);
        Call disclosure = await SendAsync(
            new HttpRequestMessage(HttpMethod.Post, $"/patients/{ada}/progress-notes/{chart.TherapistNote}/disclosures?recipient=org-hospital"), chart.Therapist, [], concealing, database);

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound), (denied.Status, missing.Status, disclosure.Status));
        Assert.Equal(missing.Body, denied.Body);
        Assert.Equal(missing.Body, disclosure.Body);
        Assert.Empty(missing.Audit);

        // The practice still knows what happened: both refusals are in the trail with their rules.
        AuditRow deniedRead = Assert.Single(denied.Audit);
        Assert.Equal(
            ("u-ther-2", ada, "Read", "ProgressNote", "Denied", "Deny matrix.care-team-required"),
            (deniedRead.ActorId, deniedRead.PatientId, deniedRead.Action, deniedRead.Entity, deniedRead.Outcome, deniedRead.Decision));
        AuditRow deniedDisclosure = Assert.Single(disclosure.Audit);
        Assert.Equal(
            ("u-ther", ada, "Disclose", "ProgressNote", "Denied", "Deny disclosure.part2-consent-required"),
            (deniedDisclosure.ActorId, deniedDisclosure.PatientId, deniedDisclosure.Action, deniedDisclosure.Entity, deniedDisclosure.Outcome, deniedDisclosure.Decision));
    }

    private Task<Call> GetPathAsync(string path, TestUser user, ClinicHost? host = null) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path), user, [], host);

    private Task<Call> PostAsync(string path, TestUser user, ClinicHost? host = null) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path), user, [], host);
}
