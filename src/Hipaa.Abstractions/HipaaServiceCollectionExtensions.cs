using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The entry point of Hipaa.Sdk's dependency-injection registration.</summary>
public static class HipaaServiceCollectionExtensions
{
    /// <summary>Starts registering Hipaa.Sdk's safeguards. Safe to call more than once.</summary>
    /// <param name="services">The application's services.</param>
    /// <returns>A builder on which safeguards are added, e.g. <c>AddFieldEncryption()</c>.</returns>
    public static IHipaaBuilder AddHipaa(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        return new HipaaBuilder(services);
    }

    private sealed class HipaaBuilder(IServiceCollection services) : IHipaaBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
