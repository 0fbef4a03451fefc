using Hipaa.Policy;
using Microsoft.AspNetCore.Http;

namespace Hipaa.AspNetCore;

/// <summary>
/// Decides one PHI access for the current request with the same engine, actor and purpose of use as the authorization
/// policies, and returns the decision with its obligations — for endpoints that want the obligations without going
/// through <c>IAuthorizationService</c>. The outcome is also recorded in <see cref="PhiAuthorizationFeature"/>.
/// </summary>
public interface IPhiAuthorization
{
    /// <summary>Decides whether the request's user may take <paramref name="action"/> on <paramref name="resource"/>.</summary>
    /// <param name="httpContext">The request: its user, purpose-of-use and break-the-glass headers.</param>
    /// <param name="resource">The record.</param>
    /// <param name="action">The action.</param>
    /// <param name="cancellationToken">Cancels the care-team and consent look-ups.</param>
    /// <returns>The outcome; never throws for a refusal.</returns>
    Task<PhiAuthorizationResult> DecideAsync(
        HttpContext httpContext,
        PhiResource resource,
        PhiAction action,
        CancellationToken cancellationToken = default);
}
