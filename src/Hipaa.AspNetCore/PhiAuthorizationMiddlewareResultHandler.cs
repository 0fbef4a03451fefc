using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace Hipaa.AspNetCore;

/// <summary>
/// Answers a PHI refusal by the authorization middleware with a ProblemDetails body (403, or 400 for a malformed purpose
/// of use) naming the rule and its sentence, instead of the authentication scheme's forbid (a cookie scheme would redirect
/// to an access-denied page). The refused attempt was recorded in the audit trail when it was decided
/// (<see cref="PhiRefusalAudit"/>). Everything else goes to the handler registered before.
/// </summary>
internal sealed class PhiAuthorizationMiddlewareResultHandler(IAuthorizationMiddlewareResultHandler inner) : IAuthorizationMiddlewareResultHandler
{
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden
            && authorizeResult.AuthorizationFailure?.FailureReasons.OfType<PhiAuthorizationFailureReason>().FirstOrDefault() is { } reason)
        {
            await reason.Result.ToHttpResult().ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        await inner.HandleAsync(next, context, policy, authorizeResult).ConfigureAwait(false);
    }
}
