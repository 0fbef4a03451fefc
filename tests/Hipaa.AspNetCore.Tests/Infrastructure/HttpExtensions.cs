using System.Text.Json;

namespace Hipaa.AspNetCore.Tests.Infrastructure;

/// <summary>Requests as a test user, and the parts of responses the tests look at.</summary>
public static class HttpExtensions
{
    public const string PurposeHeader = "X-Purpose-Of-Use";
    public const string ReasonHeader = "X-Break-Glass-Reason";
    public const string ObligationsHeader = "X-Phi-Obligations";

    public static Task<HttpResponseMessage> SendAsUserAsync(
        this HttpClient client,
        HttpMethod method,
        string path,
        TestUser? user,
        params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, path);
        if (user is not null)
        {
            request.Headers.Add(TestAuthenticationHandler.Header, user.HeaderValue);
        }

        foreach ((string name, string value) in headers)
        {
            request.Headers.Add(name, value);
        }

        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> GetAsUserAsync(this HttpClient client, string path, TestUser? user, params (string Name, string Value)[] headers) =>
        client.SendAsUserAsync(HttpMethod.Get, path, user, headers);

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static string? Obligations(this HttpResponseMessage response) =>
        response.Headers.TryGetValues(ObligationsHeader, out var values) ? string.Join(",", values) : null;

    /// <summary>The rule id of a ProblemDetails body.</summary>
    public static async Task<string?> RuleIdAsync(this HttpResponseMessage response)
    {
        JsonElement json = await response.JsonAsync();
        return json.TryGetProperty("ruleId", out JsonElement ruleId) ? ruleId.GetString() : null;
    }
}
