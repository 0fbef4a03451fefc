using Hipaa.EfCore.Enforcement;
using Hipaa.Policy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers policy enforcement in EF Core: every read and write of a <see cref="Hipaa.PhiAttribute"/> entity is decided
/// by the <see cref="PolicyEngine"/> from the ambient access context, and the decision lands in the audit trail. Needs
/// <c>AddQueryAuditing()</c>.
/// </summary>
public static class PolicyEnforcementHipaaBuilderExtensions
{
    /// <summary>Adds policy enforcement with the default behavioral-health catalog (or the engine already registered).</summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder AddPolicyEnforcement(this IHipaaBuilder builder) => AddPolicyEnforcement(builder, static _ => { });

    /// <summary>Adds policy enforcement configured by <paramref name="configure"/>.</summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="configure">Sets <see cref="PolicyEnforcementOptions"/>.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder AddPolicyEnforcement(this IHipaaBuilder builder, Action<PolicyEnforcementOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(builder.Services).Configure(configure);
        return builder;
    }

    /// <summary>
    /// Adds policy enforcement bound to a configuration section (e.g. <c>Hipaa:Policy</c>): <c>DeniedReads</c>,
    /// <c>DeniedReadsByCategory</c> and <c>Changes</c> to the default matrix (see <see cref="RoleCatalogChanges"/>). Register
    /// it before <c>AddPhiAuthorization()</c> so that ASP.NET Core decides with the same, configured catalog.
    /// </summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="configuration">The section.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder AddPolicyEnforcement(this IHipaaBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        AddCore(builder.Services).Bind(configuration);
        return builder;
    }

    private static OptionsBuilder<PolicyEnforcementOptions> AddCore(IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PolicyEnforcementOptions>, PolicyEnforcementOptionsValidator>());
        services.TryAddSingleton(sp => sp.GetRequiredService<PolicyEnforcementCatalog>().Engine);
        services.TryAddSingleton(sp => new PolicyEnforcementCatalog(sp.GetRequiredService<IOptions<PolicyEnforcementOptions>>().Value));
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PolicyEnforcementOptions>>().Value;
            var engine = sp.GetRequiredService<PolicyEngine>();
            if (!options.Changes.IsEmpty && !ReferenceEquals(engine, sp.GetRequiredService<PolicyEnforcementCatalog>().Engine))
            {
                throw new InvalidOperationException(
                    "PolicyEnforcementOptions.Changes were configured, but another PolicyEngine was registered first (AddPhiAuthorization() before AddPolicyEnforcement(...)), so ASP.NET Core and EF Core would decide with different matrices. Call AddPolicyEnforcement(...) first.");
            }

            return new PolicyEnforcementRuntime(engine, options, sp.GetService<IConsentStore>(), sp.GetRequiredService<TimeProvider>());
        });
        return services.AddOptions<PolicyEnforcementOptions>().ValidateOnStart();
    }
}
