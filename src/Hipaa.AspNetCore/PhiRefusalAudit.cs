using System.Net;
using Hipaa.Auditing;
using Hipaa.Policy;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hipaa.AspNetCore;

/// <summary>
/// Records every refused PHI attempt of a request in the audit trail, when an <see cref="IAuditSink"/> is registered
/// (<c>AddQueryAuditing()</c> registers one): a category check, a resource check (<c>IAuthorizationService</c> or
/// <see cref="IPhiAuthorization"/>) and the 400s of the access-context middleware. Each record says Denied, the rule, who
/// asked (when known), from which address, under which request id and what was asked for. A sink that fails is logged,
/// and the request is refused anyway.
/// </summary>
internal static class PhiRefusalAudit
{
    /// <summary>Records the refusal of one PHI check.</summary>
    public static Task RecordAsync(HttpContext httpContext, PhiRequestInfo info, PhiAuthorizationResult result, PhiResource? resource) =>
        AppendAsync(
            httpContext,
            info,
            result.RuleId,
            result.Category.Name,
            [result.Category.Name],
            result.Action,
            result.PatientId,
            resource?.Labels,
            resource?.Recipient);

    /// <summary>Records a request the access-context middleware refused before any check (a malformed purpose or reason).</summary>
    public static Task RecordRequestAsync(HttpContext httpContext, PhiRequestInfo info, PhiRefusal refusal, string? patientId)
    {
        // The endpoint's own PHI requirement says what was asked for; an endpoint without one is named by its route.
        PhiRequirement? requirement = EndpointRequirement(httpContext);
        string entity = requirement?.Category.Name
            ?? (httpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText
            ?? "request";
        PhiAction action = requirement?.Action ?? ActionOf(httpContext.Request.Method);
        return AppendAsync(httpContext, info, refusal.RuleId, entity, requirement is null ? [] : [requirement.Category.Name], action, patientId, null, null);
    }

    /// <summary>The client's address as the access context states it: IPv4-mapped IPv6 addresses as IPv4.</summary>
    public static string? ClientAddress(IPAddress? address) =>
        address is null ? null : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();

    private static async Task AppendAsync(
        HttpContext httpContext,
        PhiRequestInfo info,
        string ruleId,
        string entity,
        IReadOnlyList<string> categories,
        PhiAction action,
        string? patientId,
        IReadOnlyList<SensitivityLabel>? labels,
        string? recipient)
    {
        IServiceProvider services = httpContext.RequestServices;
        if (services.GetService<IAuditSink>() is not { } sink)
        {
            return;
        }

        TimeProvider time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        AccessContext? access = AccessContext.Current;
        DateTimeOffset now = time.GetUtcNow().ToUniversalTime();
        Actor actor = info.Actor;
        var record = new AuditRecord
        {
            RecordId = Guid.CreateVersion7(now),
            OccurredAt = now,
            ActorId = string.IsNullOrWhiteSpace(actor.Id) ? "unidentified" : actor.Id,
            ActorRoles = actor.Roles,
            ClientApplication = info.ClientApplication,
            PatientId = patientId,
            Action = action switch
            {
                PhiAction.Create => AuditAction.Create,
                PhiAction.Update => AuditAction.Update,
                PhiAction.Delete => AuditAction.Delete,
                PhiAction.Export => AuditAction.Export,
                PhiAction.Disclose => AuditAction.Disclose,
                _ => AuditAction.Read,
            },
            Entity = entity,
            Categories = categories,
            Labels = labels is null ? [] : [.. labels.Select(l => l.Code)],
            PurposeOfUse = info.Purpose.IsEmpty ? string.Empty : info.Purpose.Code,
            Outcome = AuditOutcome.Denied,
            ClientAddress = access?.ClientAddress ?? ClientAddress(httpContext.Connection.RemoteIpAddress),
            RequestId = access?.RequestId ?? httpContext.TraceIdentifier,
            BreakGlassReason = info.BreakGlassReason,
            Recipient = recipient,
            Decision = "Deny " + ruleId,
        };
        try
        {
            await sink.AppendAsync([record], httpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (AuditUnavailableException failure)
        {
            // The request is refused either way; the refusal not being recorded is logged loudly.
            if (services.GetService<ILoggerFactory>()?.CreateLogger("Hipaa.AspNetCore") is { } logger)
            {
                Log.RefusalNotAudited(logger, failure, ruleId);
            }
        }
    }

    private static PhiRequirement? EndpointRequirement(HttpContext httpContext)
    {
        if (httpContext.GetEndpoint() is not { } endpoint)
        {
            return null;
        }

        foreach (AuthorizationPolicy policy in endpoint.Metadata.GetOrderedMetadata<AuthorizationPolicy>())
        {
            if (policy.Requirements.OfType<PhiRequirement>().FirstOrDefault() is { } requirement)
            {
                return requirement;
            }
        }

        foreach (IAuthorizeData data in endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>())
        {
            if (data.Policy is { } name && PhiPolicy.TryParse(name, out DataCategory category, out PhiAction? action))
            {
                return new PhiRequirement(category, action.Value);
            }
        }

        return null;
    }

    private static PhiAction ActionOf(string method) =>
        HttpMethods.IsPost(method) ? PhiAction.Create
        : HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) ? PhiAction.Update
        : HttpMethods.IsDelete(method) ? PhiAction.Delete
        : PhiAction.Read;
}
