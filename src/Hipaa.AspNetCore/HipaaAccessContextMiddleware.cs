using System.Globalization;
using Hipaa.Auditing;
using Hipaa.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hipaa.AspNetCore;

/// <summary>
/// Begins an <see cref="AccessContext"/> for the rest of an authenticated request — actor, purpose of use, client
/// address, request id, client application, break-the-glass reason, and the patient scope (the route's patient) — so that
/// EF Core auditing and enforcement downstream know who is asking, why and for whom. The context lives in the request's
/// own async flow and ends with it.
/// </summary>
/// <remarks>
/// A request whose purpose-of-use or break-the-glass header is malformed is answered 400 here, and the refusal audited. A
/// request from a principal without a unique user id, from a shared account, without the required multi-factor sign-in or
/// without a purpose gets no context: the PHI policies refuse it (403) and data access that needs a context fails closed.
/// A <see cref="PhiAccessDeniedException"/> that leaves the endpoint (EF Core enforcement refused a read or a write, and
/// audited it) is answered 403 naming the rule, or 404 when <see cref="PhiAuthorizationOptions.DeniedRecords"/> says so.
/// </remarks>
internal sealed class HipaaAccessContextMiddleware(RequestDelegate next, ILogger<HipaaAccessContextMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!PhiRequestResolver.IsAuthenticated(context.User))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        PhiRequestResolver resolver = context.RequestServices.GetRequiredService<PhiRequestResolver>();
        PhiAuthorizationOptions options = context.RequestServices.GetRequiredService<IOptions<PhiAuthorizationOptions>>().Value;
        PhiRequestInfo info = await resolver.ResolveAsync(context.User, context, context.RequestAborted).ConfigureAwait(false);
        string? routePatient = RoutePatient(context, options);
        if (info.Refusal is { StatusCode: StatusCodes.Status400BadRequest } refusal)
        {
            Log.RequestRejected(logger, refusal.RuleId);
            await PhiRefusalAudit.RecordRequestAsync(context, info, refusal, routePatient).ConfigureAwait(false);
            await TypedResults.Problem(PhiAuthorizationResult.CreateProblem(refusal.StatusCode, refusal.RuleId, refusal.Citation, refusal.Explanation))
                .ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        if (!info.CanBeginAccessContext)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        string? clientAddress = PhiRefusalAudit.ClientAddress(context.Connection.RemoteIpAddress);
        if (options.SharedLogins.Enabled && clientAddress is not null && await CheckSharedLoginAsync(context, info, clientAddress, routePatient, options).ConfigureAwait(false))
        {
            return;
        }

        var accessContext = new AccessContext(info.Actor, info.Purpose)
        {
            ClientAddress = clientAddress,
            RequestId = context.TraceIdentifier,
            ClientApplication = info.ClientApplication,
            BreakGlassReason = info.BreakGlassReason,

            // A denied row of any patient but the route's is refused, not redacted: without a patient in the route (a
            // lookup by id) every denied read is refused.
            PatientScope = routePatient is null ? [] : [routePatient],
        };
        using (AccessContext.Begin(accessContext))
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (PhiAccessDeniedException denied) when (!context.Response.HasStarted)
            {
                // Enforcement refused (and audited) a read or write the endpoint did not handle: the request is refused.
                Log.RecordRefused(logger, denied.Decision?.Rule.Id ?? "unknown");
                IResult answer = options.DeniedRecords == PhiDeniedRecordResponse.NotFound
                    ? Results.NotFound()
                    : Results.Problem(denied.Decision is { } decision
                        ? PhiAuthorizationResult.CreateProblem(StatusCodes.Status403Forbidden, decision.Rule.Id, decision.Rule.Citation, decision.Explanation)
                        : new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = StatusCodes.Status403Forbidden, Title = "Access to protected health information denied." });
                await answer.ExecuteAsync(context).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The live shared-login check: logs and hands on an alert; returns <see langword="true"/> when the request was
    /// refused (and audited) as a second concurrent session.
    /// </summary>
    private async Task<bool> CheckSharedLoginAsync(HttpContext context, PhiRequestInfo info, string clientAddress, string? routePatient, PhiAuthorizationOptions options)
    {
        SharedLoginMonitor monitor = context.RequestServices.GetRequiredService<SharedLoginMonitor>();
        if (monitor.Observe(info.Actor.Id!, clientAddress, info.ClientApplication, options.SharedLogins) is not { } alert)
        {
            return false;
        }

        Log.SharedLoginSuspected(logger, alert.Explanation);
        foreach (ISharedLoginAlertHandler handler in context.RequestServices.GetServices<ISharedLoginAlertHandler>())
        {
            try
            {
                await handler.HandleAsync(alert, context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.SharedLoginHandlerFailed(logger, ex, handler.GetType().Name);
            }
        }

        if (!alert.Refused)
        {
            return false;
        }

        PhiRefusal refusal = PhiRefusal.ConcurrentSession;
        Log.RequestRejected(logger, refusal.RuleId);
        await PhiRefusalAudit.RecordRequestAsync(context, info, refusal, routePatient).ConfigureAwait(false);
        await TypedResults.Problem(PhiAuthorizationResult.CreateProblem(refusal.StatusCode, refusal.RuleId, refusal.Citation, refusal.Explanation))
            .ExecuteAsync(context).ConfigureAwait(false);
        return true;
    }

    private static string? RoutePatient(HttpContext context, PhiAuthorizationOptions options)
    {
        if (options.PatientIdRouteValue is not { } name || !context.Request.RouteValues.TryGetValue(name, out object? value))
        {
            return null;
        }

        string? patientId = Convert.ToString(value, CultureInfo.InvariantCulture);
        return string.IsNullOrWhiteSpace(patientId) ? null : patientId;
    }
}
