using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Refuses a development-only key where the host says it runs in Production (unless explicitly allowed).</summary>
internal static class DevelopmentKeyGuard
{
    /// <summary>Throws when <paramref name="services"/> holds a Production <see cref="IHostEnvironment"/> and the options do not allow it.</summary>
    /// <param name="services">The application's services; without an <see cref="IHostEnvironment"/> (no host) nothing is refused.</param>
    /// <param name="options">The development key's options.</param>
    /// <param name="call">The registration call, e.g. <c>UseLocalDevelopmentKey(path)</c>.</param>
    /// <param name="replacement">What to use in production instead.</param>
    public static void ThrowIfProduction(IServiceProvider services, Hipaa.LocalDevelopmentKeyOptions options, string call, string replacement)
    {
        if (options.DangerouslyAllowInProduction || services.GetService(typeof(IHostEnvironment)) is not IHostEnvironment environment || !environment.IsProduction())
        {
            return;
        }

        throw new InvalidOperationException(
            $"{call} uses a development-only key kept in a local file, and this host's environment is Production (IHostEnvironment.EnvironmentName). "
            + $"Use {replacement} in production, run with ASPNETCORE_ENVIRONMENT/DOTNET_ENVIRONMENT=Development for development, "
            + "or, for a demonstration without real patients' data only, set LocalDevelopmentKeyOptions.DangerouslyAllowInProduction.");
    }
}
