using Microsoft.AspNetCore.Http;

namespace Hipaa.AspNetCore;

/// <summary>Reads the PHI checks of a request.</summary>
public static class PhiHttpContextExtensions
{
    /// <summary>
    /// The latest PHI check of the request — the endpoint's category policy, or its last resource check — with its
    /// obligations and field mask; <see langword="null"/> when none was made.
    /// </summary>
    /// <param name="httpContext">The request.</param>
    /// <returns>The outcome, or <see langword="null"/>.</returns>
    public static PhiAuthorizationResult? GetPhiAuthorization(this HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        return httpContext.Features.Get<PhiAuthorizationFeature>()?.Last;
    }
}
