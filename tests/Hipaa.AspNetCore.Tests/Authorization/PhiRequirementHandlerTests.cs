using System.Net;
using System.Text.Json;
using Hipaa.AspNetCore.Tests.Infrastructure;

namespace Hipaa.AspNetCore.Tests.Authorization;

/// <summary>
/// Users of six roles call the same patient endpoints of a real host; each gets exactly what the default role matrix
/// grants for the purpose their role acts for by default, and a denial names its rule.
/// </summary>
public sealed class PhiRequirementHandlerTests(PatientApiFixture fixture) : IClassFixture<PatientApiFixture>
{
    private readonly HttpClient _client = fixture.Host.Client;

    public static TheoryData<string, string, HttpStatusCode, string?> RoleMatrix => new()
    {
        // Therapist: progress notes, diagnoses and demographics of a care-team patient; no prescriptions, no claims.
        { "therapist", "progress-notes", HttpStatusCode.OK, null },
        { "therapist", "medications", HttpStatusCode.Forbidden, "matrix.not-permitted" },
        { "therapist", "claims", HttpStatusCode.Forbidden, "matrix.not-permitted" },
        { "therapist", "demographics", HttpStatusCode.OK, null },
        { "therapist", "diagnoses", HttpStatusCode.OK, null },

        // Psychiatrist: medications too.
        { "psychiatrist", "progress-notes", HttpStatusCode.OK, null },
        { "psychiatrist", "medications", HttpStatusCode.OK, null },
        { "psychiatrist", "claims", HttpStatusCode.Forbidden, "matrix.not-permitted" },
        { "psychiatrist", "demographics", HttpStatusCode.OK, null },
        { "psychiatrist", "diagnoses", HttpStatusCode.OK, null },

        // Billing (HPAYMT): claims and what a claim needs; no clinical notes, no prescriptions.
        { "billing", "progress-notes", HttpStatusCode.Forbidden, "matrix.not-permitted" },
        { "billing", "medications", HttpStatusCode.Forbidden, "matrix.not-permitted" },
        { "billing", "claims", HttpStatusCode.OK, null },
        { "billing", "demographics", HttpStatusCode.OK, null },
        { "billing", "diagnoses", HttpStatusCode.OK, null },

        // Front desk (HOPERAT): demographics only.
        { "frontdesk", "progress-notes", HttpStatusCode.Forbidden, "matrix.not-permitted" },
        { "frontdesk", "medications", HttpStatusCode.Forbidden, "matrix.not-permitted" },
        { "frontdesk", "claims", HttpStatusCode.Forbidden, "matrix.not-permitted" },
        { "frontdesk", "demographics", HttpStatusCode.OK, null },
        { "frontdesk", "diagnoses", HttpStatusCode.Forbidden, "matrix.not-permitted" },

        // The patient (PATRQT) reads their own record.
        { "patient", "progress-notes", HttpStatusCode.OK, null },
        { "patient", "medications", HttpStatusCode.OK, null },
        { "patient", "claims", HttpStatusCode.OK, null },
        { "patient", "demographics", HttpStatusCode.OK, null },
        { "patient", "diagnoses", HttpStatusCode.OK, null },

        // The compliance officer (HOPERAT) reads nothing clinical.
        { "compliance", "progress-notes", HttpStatusCode.Forbidden, "matrix.not-permitted" },
        { "compliance", "medications", HttpStatusCode.Forbidden, "matrix.not-permitted" },
        { "compliance", "claims", HttpStatusCode.Forbidden, "matrix.not-permitted" },
        { "compliance", "demographics", HttpStatusCode.OK, null },
        { "compliance", "diagnoses", HttpStatusCode.Forbidden, "matrix.not-permitted" },
    };

    [Theory]
    [MemberData(nameof(RoleMatrix))]
    public async Task RequireAuthorization_EachRoleOnEachEndpoint_FollowsTheRoleMatrix(string user, string endpoint, HttpStatusCode expected, string? ruleId)
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync($"/patients/p1/{endpoint}", TestUser.ByName[user]);

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.OK)
        {
            JsonElement body = await response.JsonAsync();
            Assert.Equal("p1", body.GetProperty("patientId").GetString());
        }
        else
        {
            Assert.Equal(ruleId, await response.RuleIdAsync());
        }
    }

    [Theory]
    [InlineData("therapist", "progress-notes")]
    [InlineData("therapist", "demographics")]
    [InlineData("psychiatrist", "medications")]
    public async Task RequireAuthorization_ClinicianOutsideTheCareTeam_IsDenied(string user, string endpoint)
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync($"/patients/p2/{endpoint}", TestUser.ByName[user]);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("matrix.care-team-required", await response.RuleIdAsync());
    }

    [Fact]
    public async Task RequireAuthorization_BillingForAnyPatient_NeedsNoCareTeam()
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p2/claims", TestUser.Billing);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task RequireAuthorization_PatientReadingAnotherPatient_IsDenied()
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p2/progress-notes", TestUser.Patient);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("patient.own-record-only", await response.RuleIdAsync());
    }

    [Fact]
    public async Task RequireAuthorization_Denial_IsProblemDetailsWithRuleAndSentenceAndNoPhi()
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p2/progress-notes", TestUser.Therapist);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        string text = await response.Content.ReadAsStringAsync();
        JsonElement body = JsonDocument.Parse(text).RootElement;
        Assert.Equal(403, body.GetProperty("status").GetInt32());
        Assert.Equal("matrix.care-team-required", body.GetProperty("ruleId").GetString());
        Assert.Equal("45 CFR 164.502(b), 164.514(d)(2)", body.GetProperty("citation").GetString());
        Assert.StartsWith("Denied because clinical roles reach only patients", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("p2", text, StringComparison.Ordinal);
        Assert.DoesNotContain("u-ther", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequireAuthorization_NoCredentials_Is401()
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p1/progress-notes", user: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task RequireAuthorization_AuthenticatedWithoutUserId_IsDeniedAsNotUniquelyIdentified()
    {
        var anonymousTherapist = new TestUser("no-id", ("role", "Therapist"), ("care_team", "p1"));

        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p1/progress-notes", anonymousTherapist);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("identity.unique-user", await response.RuleIdAsync());
    }

    [Fact]
    public async Task RequireAuthorization_UserIdFromNameIdentifier_IsAccepted()
    {
        var therapist = new TestUser("nameid", (System.Security.Claims.ClaimTypes.NameIdentifier, "u-ther-2"), ("role", "Therapist"), ("care_team", "p1"));

        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p1/progress-notes", therapist);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("u-ther-2", (await response.JsonAsync()).GetProperty("context").GetProperty("actorId").GetString());
    }

    [Fact]
    public async Task RequireAuthorization_SharedAccount_IsDenied()
    {
        var shared = new TestUser("shared", ("sub", "FrontDesk"), ("role", "FrontDesk"));

        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p1/demographics", shared);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("identity.shared-account", await response.RuleIdAsync());
    }

    [Fact]
    public async Task RequireAuthorization_UnknownRole_GetsNothing()
    {
        var stranger = new TestUser("stranger", ("sub", "u-x"), ("role", "Janitor"), ("purpose_of_use", "TREAT"));

        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p1/demographics", stranger);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("purpose.role-fit", await response.RuleIdAsync());
    }
}
