using System.Net;
using System.Text.Json;
using Hipaa.AspNetCore.Tests.Infrastructure;

namespace Hipaa.AspNetCore.Tests;

/// <summary>The ambient access context during a request: who, why, from where, and never another request's.</summary>
public sealed class HipaaAccessContextMiddlewareTests(PatientApiFixture fixture) : IClassFixture<PatientApiFixture>
{
    private readonly HttpClient _client = fixture.Host.Client;

    [Fact]
    public async Task Invoke_AuthenticatedRequest_EndpointSeesActorPurposeAddressRequestIdAndClient()
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync("/patients/p1/progress-notes", TestUser.Therapist);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement context = (await response.JsonAsync()).GetProperty("context");
        Assert.Equal("u-ther", context.GetProperty("actorId").GetString());
        Assert.Equal("TREAT", context.GetProperty("purpose").GetString());
        Assert.Equal("127.0.0.1", context.GetProperty("clientAddress").GetString());
        Assert.Equal("ehr-web", context.GetProperty("clientApplication").GetString());
        Assert.Equal(JsonValueKind.Null, context.GetProperty("breakGlassReason").ValueKind);
        string? requestId = context.GetProperty("requestId").GetString();
        Assert.False(string.IsNullOrEmpty(requestId));
        Assert.Equal(context.GetProperty("traceIdentifier").GetString(), requestId);
    }

    [Fact]
    public async Task Invoke_AnonymousRequest_HasNoAccessContext()
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync("/anonymous/context", user: null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await response.JsonAsync()).GetProperty("context").ValueKind);
    }

    [Theory]
    [InlineData("no-id")]
    [InlineData("shared")]
    public async Task Invoke_PrincipalThatCannotBeAttributed_HasNoAccessContext(string kind)
    {
        TestUser user = kind == "shared"
            ? new TestUser(kind, ("sub", "frontdesk"), ("role", "FrontDesk"))
            : new TestUser(kind, ("role", "Therapist"));

        using HttpResponseMessage response = await _client.GetAsUserAsync("/context", user);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await response.JsonAsync()).GetProperty("before").ValueKind);
    }

    [Fact]
    public async Task Invoke_FiftyParallelRequestsOfDifferentUsers_EachSeesOnlyItsOwnContext()
    {
        TestUser[] users = [.. Enumerable.Range(0, 50).Select(i => (i % 3) switch
        {
            0 => new TestUser($"t{i}", ("sub", $"u-{i}"), ("role", "Therapist"), ("care_team", "p1")),
            1 => new TestUser($"b{i}", ("sub", $"u-{i}"), ("role", "Billing")),
            _ => new TestUser($"f{i}", ("sub", $"u-{i}"), ("role", "FrontDesk")),
        })];
        string[] purposes = [.. users.Select(u => u.Claims[1].Value switch { "Therapist" => "TREAT", "Billing" => "HPAYMT", _ => "HOPERAT" })];

        HttpResponseMessage[] responses = await Task.WhenAll(users.Select(u => _client.GetAsUserAsync("/context", u)));

        var requestIds = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < users.Length; i++)
        {
            using HttpResponseMessage response = responses[i];
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            JsonElement body = await response.JsonAsync();
            foreach (string moment in new[] { "before", "after" })
            {
                JsonElement context = body.GetProperty(moment);
                Assert.Equal($"u-{i}", context.GetProperty("actorId").GetString());
                Assert.Equal(purposes[i], context.GetProperty("purpose").GetString());
                Assert.Equal(context.GetProperty("traceIdentifier").GetString(), context.GetProperty("requestId").GetString());
            }

            Assert.True(requestIds.Add(body.GetProperty("before").GetProperty("requestId").GetString()!));
        }

        using HttpResponseMessage afterwards = await _client.GetAsUserAsync("/anonymous/context", user: null);
        Assert.Equal(JsonValueKind.Null, (await afterwards.JsonAsync()).GetProperty("context").ValueKind);
    }

    [Fact]
    public async Task Invoke_MalformedPurposeOnAnEndpointWithoutPhiPolicy_IsBadRequest()
    {
        using HttpResponseMessage response = await _client.GetAsUserAsync("/context", TestUser.Therapist, (HttpExtensions.PurposeHeader, "NOT-A-PURPOSE"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("request.purpose-invalid", await response.RuleIdAsync());
    }

    [Fact]
    public async Task WithoutMiddleware_MalformedPurposeOnAPhiEndpoint_IsStillBadRequest()
    {
        await using PatientApiHost host = await PatientApiHost.StartAsync(useAccessContext: false);

        using HttpResponseMessage malformed = await host.Client.GetAsUserAsync("/patients/p1/progress-notes", TestUser.Therapist, (HttpExtensions.PurposeHeader, "NOPE"));
        using HttpResponseMessage fine = await host.Client.GetAsUserAsync("/patients/p1/progress-notes", TestUser.Therapist);

        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("request.purpose-invalid", await malformed.RuleIdAsync());
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await fine.JsonAsync()).GetProperty("context").ValueKind);
    }
}
