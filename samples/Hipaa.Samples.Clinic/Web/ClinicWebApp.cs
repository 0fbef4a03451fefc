using Hipaa.Samples.Clinic.Compliance;
using Hipaa.Samples.Clinic.Seed;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Hipaa.Samples.Clinic.Web;

/// <summary>The clinic as an ASP.NET Core app: cookie "sign in as", PHI authorization, the access context per request, the pages.</summary>
public static class ClinicWebApp
{
    /// <summary>
    /// Builds, prepares (tables, seed on first run) and starts the app. The host runs in the Development environment unless
    /// <c>ASPNETCORE_ENVIRONMENT</c> or <c>DOTNET_ENVIRONMENT</c> says otherwise: the development key-encryption key and
    /// signer are for development only.
    /// </summary>
    /// <param name="settings">Where the data lives and where to listen.</param>
    /// <param name="progress">Told each seeding step.</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <returns>The started app and the address it listens on.</returns>
    public static async Task<(WebApplication App, Uri Address)> StartAsync(ClinicSettings settings, Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        string? environment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT");
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [.. settings.RemainingArguments],
            EnvironmentName = string.IsNullOrWhiteSpace(environment) ? Environments.Development : environment,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseUrls(settings.Urls);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning).AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
            .AddFilter("Hipaa.Encryption.KeyRing", LogLevel.Warning);
        builder.Services.AddSingleton(settings);
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.LoginPath = "/";
                o.Cookie.Name = "hipaa-sample-clinic";
            });
        builder.Services.AddAuthorization();
        builder.Services.AddClinic(settings, web: true);
        await ClinicServices.EnsureClinicDatabaseAsync(settings, cancellationToken);

        WebApplication app = builder.Build();
        try
        {
            await ClinicSeed.Default.SeedAsync(app.Services, progress, cancellationToken);
            TrailVerification.ExportPublicKey(settings);

            app.UseRouting();
            app.Use((http, next) => ChartEndpoints.BreakGlassFormToHeadersAsync(http, () => next(http)));
            app.UseAuthentication();
            app.UseHipaaAccessContext();
            app.UseAuthorization();
            SignInEndpoints.Map(app);
            ChartEndpoints.Map(app);
            PatientRecordEndpoints.Map(app);
            ComplianceEndpoints.Map(app);
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address));
    }
}
