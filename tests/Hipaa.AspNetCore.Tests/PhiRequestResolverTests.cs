using System.Net;
using System.Text.Json;
using Hipaa.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.AspNetCore.Tests;

/// <summary>
/// How a request becomes an actor and a purpose of use: headers, claims, role defaults, break-the-glass, multi-factor
/// authentication and the care-team resolver.
/// </summary>
public sealed class PhiRequestResolverTests(PatientApiFixture fixture) : IClassFixture<PatientApiFixture>
{
    private const string Reason = "patient arrived in crisis, own clinician unreachable";
    private readonly HttpClient _client = fixture.Host.Client;

    [Fact]
    public async Task BreakGlass_ClinicianOutsideTheCareTeamWithReason_IsPermittedAndFlagged()
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync(
            "/patients/p2/progress-notes", TestUser.Therapist, (HttpExtensions.PurposeHeader, "ETREAT"), (HttpExtensions.ReasonHeader, Reason));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("BreakGlassReview", response.Obligations());
        JsonElement context = (await response.JsonAsync()).GetProperty("context");
        Assert.Equal("ETREAT", context.GetProperty("purpose").GetString());
        Assert.Equal(Reason, context.GetProperty("breakGlassReason").GetString());
    }

    [Fact]
    public async Task BreakGlass_OpensWhatSomeClinicalRoleMayRead()
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync(
            "/patients/p2/medications", TestUser.Therapist, (HttpExtensions.PurposeHeader, "ETREAT"), (HttpExtensions.ReasonHeader, Reason));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("BreakGlassReview", response.Obligations());
    }

    [Fact]
    public async Task BreakGlass_WithoutReason_IsDenied()
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p2/progress-notes", TestUser.Therapist, (HttpExtensions.PurposeHeader, "ETREAT"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("break-glass.reason-required", await response.RuleIdAsync());
    }

    [Fact]
    public async Task BreakGlass_ByBilling_IsDenied()
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync(
            "/patients/p2/progress-notes", TestUser.Billing, (HttpExtensions.PurposeHeader, "ETREAT"), (HttpExtensions.ReasonHeader, Reason));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("purpose.role-fit", await response.RuleIdAsync());
    }

    [Fact]
    public async Task BreakGlassReasonClaim_OnAnOrdinarySession_IsIgnoredNotABadRequest()
    {
        // A token is not a per-request declaration: a reason claim (left over from an emergency sign-in, or minted by a
        // misconfigured identity provider) must not turn every ordinary request into a 400, nor flag it as an emergency.
        TestUser therapist = TestUser.Therapist.With("break_glass_reason", Reason);

        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p1/progress-notes", therapist);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Obligations());
        JsonElement context = (await response.JsonAsync()).GetProperty("context");
        Assert.Equal(("TREAT", JsonValueKind.Null), (context.GetProperty("purpose").GetString(), context.GetProperty("breakGlassReason").ValueKind));
    }

    [Fact]
    public async Task BreakGlassReasonClaim_EmergencyDeclaredByHeaderOnly_DoesNotSupplyTheReason()
    {
        TestUser therapist = TestUser.Therapist.With("break_glass_reason", Reason);

        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p2/progress-notes", therapist, (HttpExtensions.PurposeHeader, "ETREAT"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("break-glass.reason-required", await response.RuleIdAsync());
    }

    [Fact]
    public async Task BreakGlassReasonClaim_SessionTheIdentityProviderBoundToEmergencyTreatment_IsTheReason()
    {
        // An identity provider that runs its own break-the-glass step asserts ETREAT for the session and the reason with it.
        TestUser therapist = TestUser.Therapist.With("purpose_of_use", "ETREAT").With("break_glass_reason", Reason);

        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p2/progress-notes", therapist);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("BreakGlassReview", response.Obligations());
        JsonElement context = (await response.JsonAsync()).GetProperty("context");
        Assert.Equal(("ETREAT", Reason), (context.GetProperty("purpose").GetString(), context.GetProperty("breakGlassReason").GetString()));
    }

    [Fact]
    public async Task BreakGlassReason_WithoutEmergencyPurpose_IsBadRequest()
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p1/progress-notes", TestUser.Therapist, (HttpExtensions.ReasonHeader, Reason));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("request.break-glass-reason-invalid", await response.RuleIdAsync());
    }

    [Fact]
    public async Task BreakGlassReason_LongerThanTheLimit_IsBadRequest()
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync(
            "/patients/p1/progress-notes", TestUser.Therapist, (HttpExtensions.PurposeHeader, "ETREAT"), (HttpExtensions.ReasonHeader, new string('x', 501)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("request.break-glass-reason-invalid", await response.RuleIdAsync());
    }

    [Theory]
    [InlineData("FOO")]
    [InlineData("treat")]
    [InlineData("TREAT, HPAYMT")]
    public async Task PurposeHeader_UnknownCode_IsBadRequest(string purpose)
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p1/progress-notes", TestUser.Therapist, (HttpExtensions.PurposeHeader, purpose));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("request.purpose-invalid", await response.RuleIdAsync());
    }

    [Fact]
    public async Task PurposeHeader_Repeated_IsBadRequest()
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync(
            "/patients/p1/progress-notes", TestUser.Therapist, (HttpExtensions.PurposeHeader, "TREAT"), (HttpExtensions.PurposeHeader, "COC"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("request.purpose-invalid", await response.RuleIdAsync());
    }

    [Fact]
    public async Task PurposeHeader_KnownButNotTheRoles_IsDeniedByTheEngine()
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p1/progress-notes", TestUser.Therapist, (HttpExtensions.PurposeHeader, "HPAYMT"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("purpose.role-fit", await response.RuleIdAsync());
    }

    [Fact]
    public async Task PurposeClaim_BindsTheSession_AHeaderMayRepeatButNotChangeIt()
    {
        TestUser therapist = TestUser.Therapist.With("purpose_of_use", "COC");

        using HttpResponseMessage fromClaim = await _client.GetAsUserAsync("/patients/p1/progress-notes", therapist);
        using HttpResponseMessage repeated = await _client.GetAsUserAsync("/patients/p1/progress-notes", therapist, (HttpExtensions.PurposeHeader, "COC"));
        using HttpResponseMessage changed = await _client.GetAsUserAsync("/patients/p1/progress-notes", therapist, (HttpExtensions.PurposeHeader, "ETREAT"), (HttpExtensions.ReasonHeader, Reason));

        Assert.Equal("COC", (await fromClaim.JsonAsync()).GetProperty("context").GetProperty("purpose").GetString());
        Assert.Equal(HttpStatusCode.OK, repeated.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, changed.StatusCode);
        Assert.Equal("request.purpose-conflict", await changed.RuleIdAsync());
    }

    [Fact]
    public async Task PurposeHeader_WinsOverTheRoleDefault()
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p1/progress-notes", TestUser.Therapist, (HttpExtensions.PurposeHeader, "COC"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("COC", (await response.JsonAsync()).GetProperty("context").GetProperty("purpose").GetString());
    }

    [Fact]
    public async Task PersonalRepresentativeClaim_WhenConfigured_LetsAPatientRoleReachTheRepresentedPatientOnly()
    {
        TestUser parent = new("parent", ("sub", "u-parent-1"), ("role", "Patient"), ("representative_of", "p1"));
        await using PatientApiHost host = await PatientApiHost.StartAsync(o => o.PersonalRepresentativeClaimType = "representative_of");

        using HttpResponseMessage represented = await host.Client.GetAsUserAsync("/patients/p1/demographics", parent);
        using HttpResponseMessage other = await host.Client.GetAsUserAsync("/patients/p2/demographics", parent);
        using HttpResponseMessage unconfigured = await _client.GetAsUserAsync("/patients/p1/demographics", parent);

        Assert.Equal(HttpStatusCode.OK, represented.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Equal("patient.own-record-only", await other.RuleIdAsync());
        Assert.Equal(HttpStatusCode.Forbidden, unconfigured.StatusCode);
        Assert.Equal("patient.own-record-only", await unconfigured.RuleIdAsync());
    }

    [Fact]
    public async Task RoleDefaults_ThatDisagree_RequireAStatedPurpose()
    {
        TestUser twoHats = new("two-hats", ("sub", "u-two"), ("role", "Psychiatrist"), ("role", "ComplianceOfficer"), ("care_team", "p1"));

        using HttpResponseMessage unstated = await _client.GetAsUserAsync("/patients/p1/demographics", twoHats);
        using HttpResponseMessage stated = await _client.GetAsUserAsync("/patients/p1/medications", twoHats, (HttpExtensions.PurposeHeader, "TREAT"));

        Assert.Equal(HttpStatusCode.Forbidden, unstated.StatusCode);
        Assert.Equal("request.purpose-required", await unstated.RuleIdAsync());
        Assert.Contains("X-Purpose-Of-Use", (await unstated.JsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, stated.StatusCode);
    }

    [Fact]
    public async Task Mfa_RequiredAndMissing_IsDeniedAndGetsNoAccessContext()
    {
        await using PatientApiHost host = await PatientApiHost.StartAsync(o => o.RequireMfa = true);

        using HttpResponseMessage withoutAmr = await host.Client.GetAsUserAsync("/patients/p1/progress-notes", TestUser.Therapist);
        using HttpResponseMessage withPassword = await host.Client.GetAsUserAsync("/patients/p1/progress-notes", TestUser.Therapist.With("amr", "pwd"));
        using HttpResponseMessage context = await host.Client.GetAsUserAsync("/context", TestUser.Therapist);

        Assert.Equal(HttpStatusCode.Forbidden, withoutAmr.StatusCode);
        Assert.Equal("identity.mfa-required", await withoutAmr.RuleIdAsync());
        Assert.Equal(HttpStatusCode.Forbidden, withPassword.StatusCode);
        Assert.Equal(HttpStatusCode.OK, context.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await context.JsonAsync()).GetProperty("before").ValueKind);
    }

    [Theory]
    [InlineData("amr", "otp")]
    [InlineData("amr", "MFA")]
    [InlineData("http://schemas.microsoft.com/claims/authnmethodsreferences", "hwk")]
    public async Task Mfa_RequiredAndPresent_IsPermitted(string claimType, string method)
    {
        await using PatientApiHost host = await PatientApiHost.StartAsync(o =>
        {
            o.RequireMfa = true;
            o.MfaClaimTypes.Add("http://schemas.microsoft.com/claims/authnmethodsreferences");
        });

        using HttpResponseMessage response = await host.Client.GetAsUserAsync("/patients/p1/progress-notes", TestUser.Therapist.With(claimType, method));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task CareTeamResolver_AddsPatientsOnceARequest()
    {
        var resolver = new CountingCareTeamResolver("u-ther", "p2");
        await using PatientApiHost host = await PatientApiHost.StartAsync(configureServices: s => s.AddSingleton<ICareTeamResolver>(resolver));

        using HttpResponseMessage p2 = await host.Client.GetAsUserAsync("/patients/p2/progress-notes", TestUser.Therapist);
        using HttpResponseMessage p1 = await host.Client.GetAsUserAsync("/patients/p1/progress-notes", TestUser.Therapist);
        using HttpResponseMessage p3 = await host.Client.GetAsUserAsync("/patients/p3/progress-notes", TestUser.Therapist);

        Assert.Equal(HttpStatusCode.OK, p2.StatusCode);
        Assert.Equal(HttpStatusCode.OK, p1.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, p3.StatusCode);
        Assert.Equal(3, resolver.Calls);
    }

    private sealed class CountingCareTeamResolver(string userId, params string[] patients) : ICareTeamResolver
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task<IReadOnlyCollection<string>> GetPatientIdsAsync(System.Security.Claims.ClaimsPrincipal user, string requestedUserId, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            return Task.FromResult<IReadOnlyCollection<string>>(requestedUserId == userId ? patients : []);
        }
    }
}
