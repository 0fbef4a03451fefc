using Hipaa.Policy;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Hipaa.AspNetCore;

/// <summary>
/// Resolves policy names <c>phi:{Category}:{Action}</c> for the categories of the role catalog (a policy the application
/// registered under such a name wins); every other name, and the default and fallback policies, come from the provider
/// registered before. A category the catalog does not define gives no policy, so a typo fails loudly.
/// </summary>
internal sealed class PhiAuthorizationPolicyProvider(IAuthorizationPolicyProvider inner, IOptions<PhiAuthorizationOptions> options)
    : IAuthorizationPolicyProvider
{
    public bool AllowsCachingPolicies => inner.AllowsCachingPolicies;

    public async Task<AuthorizationPolicy?> GetPolicyAsync(string policyName)
    {
        AuthorizationPolicy? registered = await inner.GetPolicyAsync(policyName).ConfigureAwait(false);
        if (registered is not null || !PhiPolicy.TryParse(policyName, out DataCategory category, out PhiAction? action))
        {
            return registered;
        }

        return options.Value.Catalog.Categories.Contains(category) ? PhiPolicy.For(category, action.Value) : null;
    }

    public Task<AuthorizationPolicy> GetDefaultPolicyAsync() => inner.GetDefaultPolicyAsync();

    public Task<AuthorizationPolicy?> GetFallbackPolicyAsync() => inner.GetFallbackPolicyAsync();
}
