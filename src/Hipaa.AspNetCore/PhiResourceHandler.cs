using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;

namespace Hipaa.AspNetCore;

/// <summary>
/// Handles <see cref="PhiOperationRequirement"/> on a <see cref="PhiResource"/>: the full decision for one record
/// (care team, labels, author, consents from <c>IConsentStore</c> when registered).
/// </summary>
internal sealed class PhiResourceHandler(PhiAuthorizationService phi, IHttpContextAccessor httpContextAccessor)
    : AuthorizationHandler<PhiOperationRequirement, PhiResource>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, PhiOperationRequirement requirement, PhiResource resource)
    {
        HttpContext? httpContext = httpContextAccessor.HttpContext;
        PhiAuthorizationResult result = await phi.DecideResourceAsync(
            httpContext, context.User, resource, requirement.Action, httpContext?.RequestAborted ?? CancellationToken.None).ConfigureAwait(false);
        if (result.Succeeded)
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new PhiAuthorizationFailureReason(this, result));
        }
    }
}
