using Hipaa.Policy;
using Microsoft.Extensions.Options;

namespace Hipaa.AspNetCore;

/// <summary>Validates <see cref="PhiAuthorizationOptions"/> at start-up, listing every problem and the value it saw.</summary>
internal sealed class PhiAuthorizationOptionsValidator : IValidateOptions<PhiAuthorizationOptions>
{
    private static readonly PhiAction[] AllActions = Enum.GetValues<PhiAction>();

    public ValidateOptionsResult Validate(string? name, PhiAuthorizationOptions options)
    {
        var problems = new List<string>();
        if (options.Catalog is null)
        {
            problems.Add("Catalog is null; keep the default (RoleCatalog.CreateDefault()) or assign the practice's catalog.");
        }
        else
        {
            foreach (string problem in options.Catalog.Validate())
            {
                problems.Add("Catalog: " + problem);
            }
        }

        RequireClaimTypes(problems, nameof(options.UserIdClaimTypes), options.UserIdClaimTypes, "a unique user id is required for every PHI access (e.g. \"sub\")");
        RequireClaimTypes(problems, nameof(options.RoleClaimTypes), options.RoleClaimTypes, "roles decide every PHI access (e.g. \"role\")");
        RequireClaimTypes(problems, nameof(options.ClientApplicationClaimTypes), options.ClientApplicationClaimTypes, null);
        if (string.IsNullOrWhiteSpace(options.OrganizationClaimType))
        {
            problems.Add($"OrganizationClaimType is '{options.OrganizationClaimType}'; name the claim of the user's organization (default \"org\").");
        }

        RequireNullOrNamed(problems, nameof(options.CareTeamClaimType), options.CareTeamClaimType);
        RequireNullOrNamed(problems, nameof(options.PersonalRepresentativeClaimType), options.PersonalRepresentativeClaimType);
        RequireNullOrNamed(problems, nameof(options.PurposeOfUseClaimType), options.PurposeOfUseClaimType);
        RequireNullOrNamed(problems, nameof(options.BreakGlassReasonClaimType), options.BreakGlassReasonClaimType);
        RequireNullOrNamed(problems, nameof(options.PatientIdRouteValue), options.PatientIdRouteValue);
        RequireHeaderName(problems, nameof(options.PurposeOfUseHeader), options.PurposeOfUseHeader);
        RequireHeaderName(problems, nameof(options.BreakGlassReasonHeader), options.BreakGlassReasonHeader);
        RequireHeaderName(problems, nameof(options.ObligationsHeader), options.ObligationsHeader);

        if (options.SharedAccounts.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add("SharedAccounts contains an empty user id; list the user ids of shared or generic accounts only.");
        }

        if (options.RequireMfa)
        {
            RequireClaimTypes(problems, nameof(options.MfaClaimTypes), options.MfaClaimTypes, "RequireMfa reads the authentication methods from them (e.g. \"amr\")");
            if (options.AcceptedMfaMethods.Count == 0 || options.AcceptedMfaMethods.Any(string.IsNullOrWhiteSpace))
            {
                problems.Add($"AcceptedMfaMethods is [{string.Join(", ", options.AcceptedMfaMethods)}]; with RequireMfa list the RFC 8176 methods that count as multi-factor (e.g. \"mfa\", \"otp\", \"hwk\").");
            }
        }

        if (options.MaxBreakGlassReasonLength is < 1 or > 4000)
        {
            problems.Add($"MaxBreakGlassReasonLength is {options.MaxBreakGlassReasonLength}; it must be between 1 and 4000 characters.");
        }

        if (options.IdleTimeout is { } idle && (idle <= TimeSpan.Zero || idle > TimeSpan.FromHours(24)))
        {
            problems.Add($"IdleTimeout is {idle}; it must be more than zero and at most 24 hours (45 CFR 164.312(a)(2)(iii) automatic logoff), or null to leave logoff to another component.");
        }

        if (options.SharedLogins.ConcurrencyWindow < TimeSpan.FromSeconds(10) || options.SharedLogins.ConcurrencyWindow > TimeSpan.FromHours(1))
        {
            problems.Add($"SharedLogins.ConcurrencyWindow is {options.SharedLogins.ConcurrencyWindow}; use a value from 00:00:10 to 01:00:00 (how recently a user seen at another place makes a request concurrent).");
        }

        if (!Enum.IsDefined(options.DeniedRecords))
        {
            problems.Add($"DeniedRecords is {(int)options.DeniedRecords}, which is not a PhiDeniedRecordResponse; use Forbidden (403 naming the rule) or NotFound (404, as for a missing record).");
        }

        if (options.Catalog is not null)
        {
            ValidateDefaultPurposes(problems, options);
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void ValidateDefaultPurposes(List<string> problems, PhiAuthorizationOptions options)
    {
        RoleCatalog catalog = options.Catalog;
        foreach ((string role, string code) in options.DefaultPurposeOfUse.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (string.IsNullOrWhiteSpace(code))
            {
                problems.Add($"DefaultPurposeOfUse['{role}'] is empty; give an HL7 purpose-of-use code or remove the entry.");
                continue;
            }

            if (!catalog.Roles.Contains(role))
            {
                problems.Add($"DefaultPurposeOfUse names role '{role}', which the catalog does not define; correct the name or remove the entry.");
                continue;
            }

            var purpose = new PurposeOfUse(code);
            if (!AllActions.Any(action => catalog.AllowsPurpose(role, purpose, action)))
            {
                problems.Add($"DefaultPurposeOfUse['{role}'] is '{code}', a purpose the role may not act for; allow it in the catalog or choose another.");
            }
        }
    }

    private static void RequireClaimTypes(List<string> problems, string property, IList<string> claimTypes, string? whyNeeded)
    {
        if (claimTypes.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add($"{property} contains an empty claim type; remove it.");
        }

        if (whyNeeded is not null && claimTypes.Count == 0)
        {
            problems.Add($"{property} is empty; name at least one claim type: {whyNeeded}.");
        }
    }

    private static void RequireNullOrNamed(List<string> problems, string property, string? value)
    {
        if (value is not null && string.IsNullOrWhiteSpace(value))
        {
            problems.Add($"{property} is '{value}'; name it, or set it to null to turn it off.");
        }
    }

    private static void RequireHeaderName(List<string> problems, string property, string? header)
    {
        if (header is null)
        {
            return;
        }

        // An HTTP field name is an RFC 9110 token.
        if (header.Length == 0 || header.Any(c => c is <= ' ' or >= (char)127 or '(' or ')' or ',' or '/' or ':' or ';' or '<' or '=' or '>' or '?' or '@' or '[' or '\\' or ']' or '{' or '}' or '"'))
        {
            problems.Add($"{property} is '{header}', which is not a valid HTTP header name; use letters, digits and dashes, or null to turn it off.");
        }
    }
}
