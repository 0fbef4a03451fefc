using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Hipaa.AspNetCore.Tests.Infrastructure;

/// <summary>
/// The patient API on a real Kestrel server at 127.0.0.1 on a free port, with test-header and cookie authentication and a
/// fake clock. Each host is independent; dispose it to stop the server.
/// </summary>
public sealed class PatientApiHost : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private readonly WebApplication _app;

    private readonly StrongBox<int> _validateCalls;

    private PatientApiHost(WebApplication app, FakeTimeProvider time, Uri address, StrongBox<int> validateCalls)
    {
        _app = app;
        _validateCalls = validateCalls;
        Time = time;
        Client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = address };
    }

    public HttpClient Client { get; }

    public FakeTimeProvider Time { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>How many times the application's own cookie <c>OnValidatePrincipal</c> ran.</summary>
    public int ApplicationValidatePrincipalCalls => Volatile.Read(ref _validateCalls.Value);

    public static async Task<PatientApiHost> StartAsync(
        Action<PhiAuthorizationOptions>? configurePhi = null,
        Action<IServiceCollection>? configureServices = null,
        bool useAccessContext = true)
    {
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development });
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        builder.Host.UseDefaultServiceProvider(o =>
        {
            o.ValidateScopes = true;
            o.ValidateOnBuild = true;
        });

        var time = new FakeTimeProvider(Start);
        var validateCalls = new StrongBox<int>();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddLogging();
        builder.Services.AddRouting();
        builder.Services.AddAuthentication(o => o.DefaultScheme = "Smart")
            .AddPolicyScheme("Smart", "Test header or cookie", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.ContainsKey(TestAuthenticationHandler.Header) ? TestAuthenticationHandler.SchemeName : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, TestAuthenticationHandler>(TestAuthenticationHandler.SchemeName, null)
            .AddCookie(o =>
            {
                // An API answers 401/403 instead of redirecting to a login page.
                o.Events.OnRedirectToLogin = context =>
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    return Task.CompletedTask;
                };
                o.Events.OnRedirectToAccessDenied = context =>
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                };
                o.Events.OnValidatePrincipal = _ =>
                {
                    Interlocked.Increment(ref validateCalls.Value);
                    return Task.CompletedTask;
                };
            });
        builder.Services.AddHipaa().AddPhiAuthorization(o =>
        {
            o.SharedAccounts.Add("frontdesk");
            configurePhi?.Invoke(o);
        });
        configureServices?.Invoke(builder.Services);

        WebApplication app = builder.Build();
        app.UseRouting();
        app.UseAuthentication();
        if (useAccessContext)
        {
            app.UseHipaaAccessContext();
        }

        app.UseAuthorization();
        PatientApi.Map(app);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new PatientApiHost(app, time, new Uri(address), validateCalls);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
