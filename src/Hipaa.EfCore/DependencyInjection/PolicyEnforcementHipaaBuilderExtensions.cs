using Hipaa.EfCore.Enforcement;
using Hipaa.Policy;
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
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<PolicyEnforcementOptions>().Configure(configure).Validate(
            o => o.Catalog is null || o.Catalog.Validate().Count == 0,
            "PolicyEnforcementOptions.Catalog is invalid; RoleCatalog.Validate() lists the problems.").ValidateOnStart();
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PolicyEnforcementOptions>>().Value;
            return options.Catalog is { } catalog ? new PolicyEngine(catalog) : PolicyEngine.Default;
        });
        services.TryAddSingleton(sp => new PolicyEnforcementRuntime(
            sp.GetRequiredService<PolicyEngine>(),
            sp.GetRequiredService<IOptions<PolicyEnforcementOptions>>().Value,
            sp.GetService<IConsentStore>(),
            sp.GetRequiredService<TimeProvider>()));
        return builder;
    }
}
