using System.Security.Claims;
using Hipaa.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Hipaa.AspNetCore;

/// <summary>
/// Reads the actor (unique user id, roles, organization, care team, shared-account flag), the purpose of use, the
/// break-the-glass reason and the client application of a request, and the refusals that precede any decision
/// (multi-factor authentication, a missing or malformed purpose or reason). Asked once per request and principal.
/// </summary>
internal sealed class PhiRequestResolver(IOptions<PhiAuthorizationOptions> options, IServiceProvider services)
{
    private static readonly PhiAction[] AllActions = Enum.GetValues<PhiAction>();
    private readonly PhiAuthorizationOptions _options = options.Value;

    public async ValueTask<PhiRequestInfo> ResolveAsync(ClaimsPrincipal user, HttpContext? httpContext, CancellationToken cancellationToken)
    {
        if (httpContext?.Features.Get<PhiRequestInfo>() is { } cached && ReferenceEquals(cached.Principal, user))
        {
            return cached;
        }

        PhiRequestInfo info = await ReadAsync(user, httpContext, cancellationToken).ConfigureAwait(false);
        if (httpContext is not null && ReferenceEquals(httpContext.User, user))
        {
            httpContext.Features.Set(info);
        }

        return info;
    }

    internal static bool IsAuthenticated(ClaimsPrincipal user) => user.Identities.Any(i => i.IsAuthenticated);

    private static string? FirstValue(ClaimsPrincipal user, IEnumerable<string> claimTypes)
    {
        foreach (string type in claimTypes)
        {
            foreach (Claim claim in user.FindAll(type))
            {
                if (!string.IsNullOrWhiteSpace(claim.Value))
                {
                    return claim.Value;
                }
            }
        }

        return null;
    }

    /// <summary>The single value of a header: absent → (null, true); several or blank → (null, false).</summary>
    private static (string? Value, bool Valid) SingleHeader(HttpContext? httpContext, string? header)
    {
        if (httpContext is null || header is null || !httpContext.Request.Headers.TryGetValue(header, out StringValues values))
        {
            return (null, true);
        }

        if (values.Count != 1 || string.IsNullOrWhiteSpace(values[0]))
        {
            return (null, false);
        }

        return (values[0]!.Trim(), true);
    }

    private async Task<PhiRequestInfo> ReadAsync(ClaimsPrincipal user, HttpContext? httpContext, CancellationToken cancellationToken)
    {
        string? userId = IsAuthenticated(user) ? FirstValue(user, _options.UserIdClaimTypes) : null;
        var roles = new List<string>();
        foreach (string type in _options.RoleClaimTypes)
        {
            foreach (Claim claim in user.FindAll(type))
            {
                if (!string.IsNullOrWhiteSpace(claim.Value) && !roles.Contains(claim.Value, StringComparer.Ordinal))
                {
                    roles.Add(claim.Value);
                }
            }
        }

        string organization = FirstValue(user, [_options.OrganizationClaimType]) ?? _options.Catalog.PracticeOrganization;
        var careTeam = new HashSet<string>(StringComparer.Ordinal);
        if (_options.CareTeamClaimType is { } careTeamType)
        {
            foreach (Claim claim in user.FindAll(careTeamType))
            {
                if (!string.IsNullOrWhiteSpace(claim.Value))
                {
                    careTeam.Add(claim.Value);
                }
            }
        }

        if (userId is not null && (httpContext?.RequestServices ?? services).GetService<ICareTeamResolver>() is { } resolver)
        {
            IReadOnlyCollection<string> patients = await resolver.GetPatientIdsAsync(user, userId, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"{resolver.GetType().Name}.GetPatientIdsAsync returned null; return an empty collection when the user treats no one.");
            foreach (string patientId in patients)
            {
                if (!string.IsNullOrWhiteSpace(patientId))
                {
                    careTeam.Add(patientId);
                }
            }
        }

        var represented = new HashSet<string>(StringComparer.Ordinal);
        if (_options.PersonalRepresentativeClaimType is { } representativeType)
        {
            foreach (Claim claim in user.FindAll(representativeType))
            {
                if (!string.IsNullOrWhiteSpace(claim.Value))
                {
                    represented.Add(claim.Value);
                }
            }
        }

        bool shared = userId is not null && _options.SharedAccounts.Contains(userId);
        var actor = new Actor(userId, roles, organization, careTeam, shared, represented);
        string? clientApplication = FirstValue(user, _options.ClientApplicationClaimTypes);
        if (!actor.IsIdentified || actor.IsShared)
        {
            // The engine's identity rules decide: nothing else about the request matters.
            return new PhiRequestInfo(user, actor, default, null, clientApplication, null);
        }

        if (_options.RequireMfa && !HasMultiFactor(user))
        {
            return new PhiRequestInfo(user, actor, default, null, clientApplication, PhiRefusal.MfaRequired);
        }

        (PurposeOfUse purpose, bool asserted, PhiRefusal? refusal) = ReadPurpose(user, httpContext, actor);
        if (refusal is not null)
        {
            return new PhiRequestInfo(user, actor, default, null, clientApplication, refusal);
        }

        // Break-the-glass is declared per request, with the header. A reason claim is part of the session, not of this
        // request: it counts only when the identity provider bound the whole session to ETREAT (its own break-the-glass
        // step); otherwise it is ignored, so a claim left in a token neither fails nor flags ordinary requests.
        (string? reason, bool reasonValid) = SingleHeader(httpContext, _options.BreakGlassReasonHeader);
        if (reasonValid && reason is null && asserted && purpose == PurposeOfUse.EmergencyTreatment
            && _options.BreakGlassReasonClaimType is { } reasonClaim)
        {
            reason = FirstValue(user, [reasonClaim])?.Trim();
        }

        if (!reasonValid || (reason is not null && (reason.Length > _options.MaxBreakGlassReasonLength || purpose != PurposeOfUse.EmergencyTreatment)))
        {
            return new PhiRequestInfo(user, actor, default, null, clientApplication, PhiRefusal.BreakGlassReasonInvalid(_options.MaxBreakGlassReasonLength));
        }

        return new PhiRequestInfo(user, actor, purpose, reason, clientApplication, null);
    }

    private bool HasMultiFactor(ClaimsPrincipal user)
    {
        foreach (string type in _options.MfaClaimTypes)
        {
            foreach (Claim claim in user.FindAll(type))
            {
                if (_options.AcceptedMfaMethods.Contains(claim.Value))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The request's purpose, whether the sign-in asserted it (a claim), or why there is none.</summary>
    private (PurposeOfUse Purpose, bool Asserted, PhiRefusal? Refusal) ReadPurpose(ClaimsPrincipal user, HttpContext? httpContext, Actor actor)
    {
        (string? code, bool valid) = SingleHeader(httpContext, _options.PurposeOfUseHeader);
        if (!valid)
        {
            return (default, false, PhiRefusal.PurposeInvalid());
        }

        // A purpose the identity provider asserted binds the session: a header may repeat it, not change it.
        string? asserted = _options.PurposeOfUseClaimType is { } purposeClaim ? FirstValue(user, [purposeClaim])?.Trim() : null;
        if (code is not null && asserted is not null && !string.Equals(code, asserted, StringComparison.Ordinal))
        {
            return (default, false, PhiRefusal.PurposeConflict());
        }

        code ??= asserted;

        if (code is not null)
        {
            return IsKnownPurpose(code) ? (new PurposeOfUse(code), asserted is not null, null) : (default, false, PhiRefusal.PurposeInvalid());
        }

        string? chosen = null;
        foreach (string role in actor.Roles)
        {
            if (_options.DefaultPurposeOfUse.TryGetValue(role, out string? roleDefault))
            {
                if (chosen is not null && !string.Equals(chosen, roleDefault, StringComparison.Ordinal))
                {
                    // The roles disagree: the request must say which purpose it serves.
                    return (default, false, PhiRefusal.PurposeRequired(_options.PurposeOfUseHeader));
                }

                chosen = roleDefault;
            }
        }

        return chosen is null ? (default, false, PhiRefusal.PurposeRequired(_options.PurposeOfUseHeader)) : (new PurposeOfUse(chosen), false, null);
    }

    /// <summary>Whether some role of the catalog may act for the purpose: anything else is a typo or an unsupported code.</summary>
    private bool IsKnownPurpose(string code)
    {
        if (code.Length is 0 or > 64)
        {
            return false;
        }

        var purpose = new PurposeOfUse(code);
        RoleCatalog catalog = _options.Catalog;
        foreach (string role in catalog.Roles)
        {
            foreach (PhiAction action in AllActions)
            {
                if (catalog.AllowsPurpose(role, purpose, action))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
