using Hipaa.Policy;
using Microsoft.Extensions.Options;

namespace Hipaa.EfCore.Enforcement;

/// <summary>Validates <see cref="PolicyEnforcementOptions"/> at start-up: the catalog and every configured change, each problem listed.</summary>
internal sealed class PolicyEnforcementOptionsValidator : IValidateOptions<PolicyEnforcementOptions>
{
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

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
