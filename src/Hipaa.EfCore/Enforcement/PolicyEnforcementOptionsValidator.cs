using Hipaa.Policy;
using Microsoft.Extensions.Options;

namespace Hipaa.EfCore.Enforcement;

/// <summary>Validates <see cref="PolicyEnforcementOptions"/> at start-up: the catalog and every configured change, each problem listed.</summary>
internal sealed class PolicyEnforcementOptionsValidator : IValidateOptions<PolicyEnforcementOptions>
{
    private static readonly TimeSpan MaxConsentCacheLifetime = TimeSpan.FromMinutes(5);

    public ValidateOptionsResult Validate(string? name, PolicyEnforcementOptions options)
    {
        var problems = new List<string>(new PolicyEnforcementCatalog(options).Problems);
        if (!Enum.IsDefined(options.DeniedReads))
        {
            problems.Add($"DeniedReads is {(int)options.DeniedReads}; use Redact or Throw.");
        }

        foreach (var (category, handling) in options.DeniedReadsByCategory)
        {
            if (!Enum.IsDefined(handling))
            {
                problems.Add($"DeniedReadsByCategory['{category}'] is {(int)handling}; use Redact or Throw.");
            }
        }

        if (!Enum.IsDefined(options.UnattributedReads))
        {
            problems.Add($"UnattributedReads is {(int)options.UnattributedReads}; use RequireUnconditionalPermit or RequireRolePermit.");
        }

        if (options.ConsentCacheLifetime < TimeSpan.Zero || options.ConsentCacheLifetime > MaxConsentCacheLifetime)
        {
            problems.Add($"ConsentCacheLifetime is {options.ConsentCacheLifetime}; use a value from 00:00:00 (load consents for every decision) to {MaxConsentCacheLifetime}: it bounds how long a revoked consent can still permit an access.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
