using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace Hipaa.AspNetCore;

/// <summary>
/// Answers a PHI refusal by the authorization middleware with a ProblemDetails body (403, or 400 for a malformed purpose
/// of use) naming the rule and its sentence, instead of the authentication scheme's forbid (a cookie scheme would redirect
/// to an access-denied page). Everything else goes to the handler registered before.
/// </summary>
internal sealed class PhiAuthorizationMiddlewareResultHandler(IAuthorizationMiddlewareResultHandler inner) : IAuthorizationMiddlewareResultHandler
{
    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden
            && authorizeResult.AuthorizationFailure?.FailureReasons.OfType<PhiAuthorizationFailureReason>().FirstOrDefault() is { } reason)
        {
            return TypedResults.Problem(reason.Result.ToProblemDetails()).ExecuteAsync(context);
        }

        return inner.HandleAsync(next, context, policy, authorizeResult);
    }
}
