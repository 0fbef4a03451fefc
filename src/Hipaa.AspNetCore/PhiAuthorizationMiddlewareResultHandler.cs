using Hipaa.Auditing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hipaa.AspNetCore;

/// <summary>
/// Answers a PHI refusal by the authorization middleware with a ProblemDetails body (403, or 400 for a malformed purpose
/// of use) naming the rule and its sentence, instead of the authentication scheme's forbid (a cookie scheme would redirect
/// to an access-denied page), and records the refused attempt in the audit trail when an <see cref="IAuditSink"/> is
/// registered (<c>AddQueryAuditing()</c> registers one). Everything else goes to the handler registered before.
/// </summary>
internal sealed class PhiAuthorizationMiddlewareResultHandler(IAuthorizationMiddlewareResultHandler inner, TimeProvider time) : IAuthorizationMiddlewareResultHandler
{
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden
            && authorizeResult.AuthorizationFailure?.FailureReasons.OfType<PhiAuthorizationFailureReason>().FirstOrDefault() is { } reason)
        {
            await RecordRefusalAsync(context, reason.Result).ConfigureAwait(false);
            await TypedResults.Problem(reason.Result.ToProblemDetails()).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        await inner.HandleAsync(next, context, policy, authorizeResult).ConfigureAwait(false);
    }

    private async Task RecordRefusalAsync(HttpContext context, PhiAuthorizationResult result)
    {
        if (context.RequestServices.GetService<IAuditSink>() is not { } sink)
        {
            return;
        }

        var access = AccessContext.Current;
        var actorId = access?.Actor.Id ?? context.User.FindFirst("sub")?.Value ?? context.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value;
        var record = new AuditRecord
        {
            RecordId = Guid.CreateVersion7(time.GetUtcNow()),
            OccurredAt = time.GetUtcNow(),
            ActorId = string.IsNullOrWhiteSpace(actorId) ? "unidentified" : actorId,
            ActorRoles = access?.Actor.Roles ?? [],
            ClientApplication = access?.ClientApplication,
            PatientId = result.PatientId,
            Action = result.Action switch
            {
                Policy.PhiAction.Create => AuditAction.Create,
                Policy.PhiAction.Update => AuditAction.Update,
                Policy.PhiAction.Delete => AuditAction.Delete,
                Policy.PhiAction.Export => AuditAction.Export,
                Policy.PhiAction.Disclose => AuditAction.Disclose,
                _ => AuditAction.Read,
            },
            Entity = result.Category.Name,
            Categories = [result.Category.Name],
            PurposeOfUse = access?.PurposeOfUse.Code ?? string.Empty,
            Outcome = AuditOutcome.Denied,
            ClientAddress = access?.ClientAddress ?? context.Connection.RemoteIpAddress?.ToString(),
            RequestId = access?.RequestId ?? context.TraceIdentifier,
            BreakGlassReason = access?.BreakGlassReason,
            Decision = "Deny " + result.RuleId,
        };
        try
        {
            await sink.AppendAsync([record], context.RequestAborted).ConfigureAwait(false);
        }
        catch (AuditUnavailableException failure)
        {
            // The request is refused either way; the refusal not being recorded is logged loudly.
            if (context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger("Hipaa.AspNetCore") is { } logger)
            {
                Log.RefusalNotAudited(logger, failure, result.RuleId);
            }
        }
    }
}
