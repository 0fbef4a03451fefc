using System.Net;
using System.Text.Json;
using Hipaa.AspNetCore.Tests.Infrastructure;
using Hipaa.Policy;

namespace Hipaa.AspNetCore.Tests.Authorization;

/// <summary>A permit's obligations reach the endpoint (the field mask) and the client (the obligations header).</summary>
public sealed class PhiAuthorizationFeatureTests(PatientApiFixture fixture) : IClassFixture<PatientApiFixture>
{
    private readonly HttpClient _client = fixture.Host.Client;

    [Fact]
    public async Task FieldMask_BillingReadingDiagnoses_SeesCodesButNoNarrative()
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p1/diagnoses", TestUser.Billing);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(nameof(Obligation.MaskFields), response.Obligations());
        JsonElement diagnosis = (await response.JsonAsync()).GetProperty("diagnosis");
        Assert.Equal(["Code", "CodeSystem", "Display"], diagnosis.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("narrative", diagnosis.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FieldMask_TherapistReadingDiagnoses_SeesEveryFieldWithoutObligation()
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p1/diagnoses", TestUser.Therapist);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Obligations());
        JsonElement diagnosis = (await response.JsonAsync()).GetProperty("diagnosis");
        Assert.Equal("narrative that billing must not see", diagnosis.GetProperty("Narrative").GetString());
    }

    [Fact]
    public void Obligations_OfPermittedResults_AreUnitedOnceInOrder()
    {
        var feature = new PhiAuthorizationFeature();
        var catalogEngine = PolicyEngine.Default;
        var billing = new Actor("u-bill", [WellKnownRoles.Billing]);
        AccessDecision masked = catalogEngine.Decide(Request(billing, DataCategory.Diagnosis, PurposeOfUse.Payment));
        AccessDecision denied = catalogEngine.Decide(Request(billing, DataCategory.ProgressNote, PurposeOfUse.Payment));

        feature.Add(new PhiAuthorizationResult(masked, DataCategory.Diagnosis, PhiAction.Read, "p1"));
        feature.Add(new PhiAuthorizationResult(masked, DataCategory.Diagnosis, PhiAction.Read, "p1"));
        feature.Add(new PhiAuthorizationResult(denied, DataCategory.ProgressNote, PhiAction.Read, "p1"));

        Assert.Equal([Obligation.MaskFields], feature.Obligations);
        Assert.Equal(3, feature.Results.Count);
        Assert.False(feature.Last!.Succeeded);
        Assert.Same(masked.FieldMask, feature.Results[0].FieldMask);
        Assert.Null(feature.Last.FieldMask);
        Assert.Throws<InvalidOperationException>(() => feature.Results[0].ToProblemDetails());
    }

    private static AccessRequest Request(Actor actor, DataCategory category, PurposeOfUse purpose) => new()
    {
        Actor = actor,
        PatientId = "p1",
        Category = category,
        Action = PhiAction.Read,
        Purpose = purpose,
        At = PatientApiHost.Start,
    };
}
