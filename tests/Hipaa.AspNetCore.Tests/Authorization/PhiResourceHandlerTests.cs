using System.Net;
using Hipaa.AspNetCore.Tests.Infrastructure;
using Hipaa.Policy;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.AspNetCore.Tests.Authorization;

/// <summary>Resource-based checks: a psychotherapy note goes to its author alone; a Part 2 disclosure needs a consent from the store.</summary>
public sealed class PhiResourceHandlerTests : IAsyncLifetime
{
    private readonly InMemoryConsentStore _consents = new();
    private PatientApiHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await PatientApiHost.StartAsync(configureServices: services => services.AddSingleton<IConsentStore>(_consents));
        await _consents.RecordAsync(
            new Consent("c-1", "p1", ConsentKind.Part2, ["org-hospital"], [PurposeOfUse.Treatment], [DataCategory.ProgressNote], PatientApiHost.Start.AddDays(-30)),
            "u-front");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("therapist", "n-ther", HttpStatusCode.OK, null)]
    [InlineData("therapist", "n-psy", HttpStatusCode.Forbidden, "notes.authorization-required")]
    [InlineData("psychiatrist", "n-psy", HttpStatusCode.OK, null)]
    [InlineData("psychiatrist", "n-ther", HttpStatusCode.Forbidden, "notes.authorization-required")]
    [InlineData("billing", "n-ther", HttpStatusCode.Forbidden, "notes.never-billing")]
    [InlineData("frontdesk", "n-ther", HttpStatusCode.Forbidden, "notes.authorization-required")]
    [InlineData("patient", "n-ther", HttpStatusCode.Forbidden, "patient.notes-excluded")]
    [InlineData("compliance", "n-ther", HttpStatusCode.Forbidden, "notes.authorization-required")]
    public async Task AuthorizeAsync_PsychotherapyNote_IsVisibleToItsAuthorOnly(string user, string noteId, HttpStatusCode expected, string? ruleId)
    {
        using HttpResponseMessage response = await _host.Client.GetAsUserAsync($"/patients/p1/psychotherapy-notes/{noteId}", TestUser.ByName[user]);

        Assert.Equal(expected, response.StatusCode);
        if (ruleId is null)
        {
            Assert.Equal(PatientApi.PsychotherapyNotes[noteId].Text, (await response.JsonAsync()).GetProperty("text").GetString());
        }
        else
        {
            Assert.Equal(ruleId, await response.RuleIdAsync());
        }
    }

    [Fact]
    public async Task AuthorizeAsync_AuthorOutsideTheCareTeam_StillReadsTheirOwnNote()
    {
        TestUser therapistWithoutCareTeam = new("t2", ("sub", "u-ther"), ("role", "Therapist"));

        using HttpResponseMessage response = await _host.Client.GetAsUserAsync("/patients/p1/psychotherapy-notes/n-ther", therapistWithoutCareTeam);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AuthorizeAsync_BreakTheGlassForAnotherClinicianNote_IsDenied()
    {
        using HttpResponseMessage response = await _host.Client.GetAsUserAsync(
            "/patients/p1/psychotherapy-notes/n-psy",
            TestUser.Therapist,
            (HttpExtensions.PurposeHeader, "ETREAT"),
            (HttpExtensions.ReasonHeader, "patient unresponsive in the waiting room"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("notes.no-break-glass", await response.RuleIdAsync());
    }

    [Fact]
    public async Task DecideAsync_Part2DisclosureUnderConsent_CarriesRedisclosureNoticeAndAccounting()
    {
        using HttpResponseMessage response = await _host.Client.SendAsUserAsync(
            HttpMethod.Post, "/patients/p1/progress-notes/disclosures?recipient=org-hospital", TestUser.Therapist);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("RedisclosureNotice, AccountDisclosure", response.Obligations());
        var body = await response.JsonAsync();
        Assert.Equal("c-1", body.GetProperty("consentId").GetString());
        Assert.Contains("42 CFR part 2", body.GetProperty("redisclosureNotice").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecideAsync_Part2DisclosureToARecipientTheConsentDoesNotName_IsDenied()
    {
        using HttpResponseMessage response = await _host.Client.SendAsUserAsync(
            HttpMethod.Post, "/patients/p1/progress-notes/disclosures?recipient=org-employer", TestUser.Therapist);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("disclosure.part2-consent-required", await response.RuleIdAsync());
        Assert.Null(response.Obligations());
    }

    [Fact]
    public async Task DecideAsync_AfterTheConsentIsRevoked_IsDenied()
    {
        await _consents.RevokeAsync("p1", "c-1", PatientApiHost.Start.AddDays(-1), "u-front");

        using HttpResponseMessage response = await _host.Client.SendAsUserAsync(
            HttpMethod.Post, "/patients/p1/progress-notes/disclosures?recipient=org-hospital", TestUser.Therapist);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("disclosure.part2-consent-required", await response.RuleIdAsync());
    }

    [Fact]
    public async Task DecideAsync_CategoryOnlyChecks_DoNotReadConsents()
    {
        int before = Volatile.Read(ref _consents.ListCalls);

        using HttpResponseMessage response = await _host.Client.GetAsUserAsync("/patients/p1/progress-notes", TestUser.Therapist);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(before, Volatile.Read(ref _consents.ListCalls));
    }
}
