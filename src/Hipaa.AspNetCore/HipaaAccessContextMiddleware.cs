using System.Net;
using Hipaa.Auditing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hipaa.AspNetCore;

/// <summary>
/// Begins an <see cref="AccessContext"/> for the rest of an authenticated request — actor, purpose of use, client
/// address, request id, client application, break-the-glass reason — so that EF Core auditing and enforcement downstream
/// know who is asking and why. The context lives in the request's own async flow and ends with it.
/// </summary>
/// <remarks>
/// A request whose purpose-of-use or break-the-glass header is malformed is answered 400 here. A request from a principal
/// without a unique user id, from a shared account, without the required multi-factor sign-in or without a purpose gets no
/// context: the PHI policies refuse it (403) and data access that needs a context fails closed.
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
        PhiRequestInfo info = await resolver.ResolveAsync(context.User, context, context.RequestAborted).ConfigureAwait(false);
        if (info.Refusal is { StatusCode: StatusCodes.Status400BadRequest } refusal)
        {
            Log.RequestRejected(logger, refusal.RuleId);
            await TypedResults.Problem(PhiAuthorizationResult.CreateProblem(refusal.StatusCode, refusal.RuleId, refusal.Citation, refusal.Explanation))
                .ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        if (!info.CanBeginAccessContext)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var accessContext = new AccessContext(info.Actor, info.Purpose)
        {
            ClientAddress = ClientAddress(context.Connection.RemoteIpAddress),
            RequestId = context.TraceIdentifier,
            ClientApplication = info.ClientApplication,
            BreakGlassReason = info.BreakGlassReason,
        };
        using (AccessContext.Begin(accessContext))
        {
            await next(context).ConfigureAwait(false);
        }
    }

    private static string? ClientAddress(IPAddress? address) =>
        address is null ? null : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
}
