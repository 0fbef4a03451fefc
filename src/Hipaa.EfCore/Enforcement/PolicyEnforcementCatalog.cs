using Hipaa.Policy;

namespace Hipaa.EfCore.Enforcement;

/// <summary>The catalog enforcement decides with: the configured one (or the default) with the configured changes applied.</summary>
internal sealed class PolicyEnforcementCatalog
{
    public PolicyEnforcementCatalog(PolicyEnforcementOptions options)
    {
        var catalog = options.Catalog ?? RoleCatalog.CreateDefault();
        Problems = [.. options.Changes.ApplyTo(catalog), .. catalog.Validate()];
        Engine = Problems.Count == 0 ? new PolicyEngine(catalog) : PolicyEngine.Default;
    }

    public IReadOnlyList<string> Problems { get; }

    public PolicyEngine Engine { get; }
}
