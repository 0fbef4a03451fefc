using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;

namespace Hipaa.AspNetCore;

/// <summary>
/// Handles <see cref="PhiRequirement"/>: a category-level decision for the request. An unauthenticated user is left to the
/// authentication challenge (401); any other refusal fails with a <see cref="PhiAuthorizationFailureReason"/> (403 or 400).
/// </summary>
internal sealed class PhiRequirementHandler(PhiAuthorizationService phi, IHttpContextAccessor httpContextAccessor)
    : AuthorizationHandler<PhiRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, PhiRequirement requirement)
    {
        if (!PhiRequestResolver.IsAuthenticated(context.User))
        {
            return;
        }

        HttpContext? httpContext = context.Resource as HttpContext ?? httpContextAccessor.HttpContext;
        PhiAuthorizationResult result = await phi.DecideCategoryAsync(
            httpContext, context.User, requirement.Category, requirement.Action, httpContext?.RequestAborted ?? CancellationToken.None).ConfigureAwait(false);
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
