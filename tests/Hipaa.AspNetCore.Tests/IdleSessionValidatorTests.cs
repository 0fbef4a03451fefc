using System.Net;
using Hipaa.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Hipaa.AspNetCore.Tests;

/// <summary>Automatic logoff of cookie sessions after the idle timeout, on a fake clock.</summary>
public sealed class IdleSessionValidatorTests
{
    [Fact]
    public async Task ValidatePrincipal_RequestsWithinTheIdleTimeout_KeepTheSessionAliveBeyondIt()
    {
        await using PatientApiHost host = await PatientApiHost.StartAsync();
        var session = await CookieSession.SignInAsync(host);

        for (int i = 0; i < 4; i++)
        {
            host.Time.Advance(TimeSpan.FromMinutes(10));
            using HttpResponseMessage response = await session.GetAsync("/patients/p1/progress-notes");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.True(host.ApplicationValidatePrincipalCalls >= 4);
    }

    [Fact]
    public async Task ValidatePrincipal_IdleLongerThanTheTimeout_SignsOutWith401()
    {
        await using PatientApiHost host = await PatientApiHost.StartAsync();
        var session = await CookieSession.SignInAsync(host);
        host.Time.Advance(TimeSpan.FromMinutes(14));
        using (HttpResponseMessage active = await session.GetAsync("/patients/p1/progress-notes"))
        {
            Assert.Equal(HttpStatusCode.OK, active.StatusCode);
        }

        host.Time.Advance(TimeSpan.FromMinutes(16));
        using HttpResponseMessage idle = await session.GetAsync("/patients/p1/progress-notes");

        using HttpResponseMessage again = await session.GetAsync("/patients/p1/progress-notes");

        Assert.Equal(HttpStatusCode.Unauthorized, idle.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
    }

    [Fact]
    public async Task ValidatePrincipal_PersistentSessionOfEightHours_IsStillLoggedOffWhenIdle()
    {
        await using PatientApiHost host = await PatientApiHost.StartAsync();
        var session = await CookieSession.SignInAsync(host, persistentHours: 8);
        string idleCookie = session.Cookie!;
        host.Time.Advance(TimeSpan.FromMinutes(16));

        using HttpResponseMessage idle = await session.GetAsync("/patients/p1/progress-notes");
        string? cookieAfterLogoff = session.Cookie;
        session.Cookie = idleCookie;
        using HttpResponseMessage replayed = await session.GetAsync("/patients/p1/progress-notes");

        Assert.Equal(HttpStatusCode.Unauthorized, idle.StatusCode);
        Assert.Null(cookieAfterLogoff);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
    }

    [Fact]
    public async Task ValidatePrincipal_ShorterIdleTimeout_IsHonoured()
    {
        await using PatientApiHost host = await PatientApiHost.StartAsync(o => o.IdleTimeout = TimeSpan.FromMinutes(2));
        var session = await CookieSession.SignInAsync(host, persistentHours: 8);
        host.Time.Advance(TimeSpan.FromSeconds(110));
        using (HttpResponseMessage active = await session.GetAsync("/patients/p1/progress-notes"))
        {
            Assert.Equal(HttpStatusCode.OK, active.StatusCode);
        }

        host.Time.Advance(TimeSpan.FromSeconds(121));
        using HttpResponseMessage idle = await session.GetAsync("/patients/p1/progress-notes");

        Assert.Equal(HttpStatusCode.Unauthorized, idle.StatusCode);
    }

    [Fact]
    public async Task ValidatePrincipal_IdleTimeoutTurnedOff_LeavesTheSessionAlone()
    {
        await using PatientApiHost host = await PatientApiHost.StartAsync(o => o.IdleTimeout = null);
        var session = await CookieSession.SignInAsync(host);
        host.Time.Advance(TimeSpan.FromHours(2));

        using HttpResponseMessage response = await session.GetAsync("/patients/p1/progress-notes");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task PostConfigure_CookieScheme_GetsSlidingExpirationCappedAtTheIdleTimeout()
    {
        await using PatientApiHost host = await PatientApiHost.StartAsync(o => o.IdleTimeout = TimeSpan.FromMinutes(20));

        CookieAuthenticationOptions cookie = host.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>()
            .Get(CookieAuthenticationDefaults.AuthenticationScheme);

        Assert.True(cookie.SlidingExpiration);
        Assert.Equal(TimeSpan.FromMinutes(20), cookie.ExpireTimeSpan);
    }

    /// <summary>A browser's cookie for the API, kept by hand so that the fake clock alone decides expiry.</summary>
    private sealed class CookieSession(PatientApiHost host)
    {
        private const string CookieName = ".AspNetCore.Cookies";

        public string? Cookie { get; set; }

        public static async Task<CookieSession> SignInAsync(PatientApiHost host, int? persistentHours = null)
        {
            var session = new CookieSession(host);
            string path = persistentHours is { } hours ? $"/login?persistentHours={hours}" : "/login";
            using HttpResponseMessage response = await host.Client.SendAsUserAsync(HttpMethod.Post, path, TestUser.Therapist);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            session.Keep(response);
            Assert.NotNull(session.Cookie);
            return session;
        }

        public async Task<HttpResponseMessage> GetAsync(string path)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (Cookie is not null)
            {
                request.Headers.Add("Cookie", $"{CookieName}={Cookie}");
            }

            HttpResponseMessage response = await host.Client.SendAsync(request);
            Keep(response);
            return response;
        }

        private void Keep(HttpResponseMessage response)
        {
            if (!response.Headers.TryGetValues("Set-Cookie", out var setCookies))
            {
                return;
            }

            foreach (string setCookie in setCookies)
            {
                string pair = setCookie.Split(';')[0];
                if (pair.StartsWith(CookieName + "=", StringComparison.Ordinal))
                {
                    string value = pair[(CookieName.Length + 1)..];
                    Cookie = value.Length == 0 ? null : value;
                }
            }
        }
    }
}
