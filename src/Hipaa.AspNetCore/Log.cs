using Hipaa.Policy;
using Microsoft.Extensions.Logging;

namespace Hipaa.AspNetCore;

/// <summary>The log messages of Hipaa.AspNetCore: rule ids, categories and actions only, never PHI or user ids.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Debug, Message = "PHI access permitted by {RuleId}: {Action} on {Category}.")]
    public static partial void PhiAccessPermitted(ILogger logger, string ruleId, PhiAction action, DataCategory category);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "PHI access denied by {RuleId}: {Action} on {Category}.")]
    public static partial void PhiAccessDenied(ILogger logger, string ruleId, PhiAction action, DataCategory category);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "Request rejected before any PHI decision by {RuleId}.")]
    public static partial void RequestRejected(ILogger logger, string ruleId);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Information, Message = "Session of authentication scheme {Scheme} signed out after {IdleTimeout} without activity (automatic logoff, 45 CFR 164.312(a)(2)(iii)).")]
    public static partial void IdleLogoff(ILogger logger, string scheme, TimeSpan idleTimeout);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Error, Message = "A refused PHI request ({RuleId}) could not be recorded in the audit trail.")]
    public static partial void RefusalNotAudited(ILogger logger, Exception exception, string ruleId);

    [LoggerMessage(EventId = 4106, Level = LogLevel.Warning, Message = "Forwarded headers: X-Forwarded-For is accepted from every address (ForwardedHeadersOptions.KnownProxies and KnownIPNetworks are empty), so any client can set the client address of its own audit records. List the reverse proxy in KnownProxies (or its network in KnownIPNetworks).")]
    public static partial void ForwardedForFromAnyAddress(ILogger logger);

    [LoggerMessage(EventId = 4107, Level = LogLevel.Warning, Message = "Forwarded headers: ForwardLimit is null, so every entry of X-Forwarded-For from a trusted proxy is followed, and entries a client wrote can reach the audit's client address. Keep ForwardLimit at the number of proxies in front of the application (the default 1).")]
    public static partial void ForwardLimitUnbounded(ILogger logger);

    [LoggerMessage(EventId = 4108, Level = LogLevel.Information, Message = "A PHI access was refused by {RuleId} while the endpoint ran; the request is refused.")]
    public static partial void RecordRefused(ILogger logger, string ruleId);

    [LoggerMessage(EventId = 4109, Level = LogLevel.Warning, Message = "Possible shared login: {Explanation}")]
    public static partial void SharedLoginSuspected(ILogger logger, string explanation);

    [LoggerMessage(EventId = 4110, Level = LogLevel.Error, Message = "A shared-login alert handler ({Handler}) failed.")]
    public static partial void SharedLoginHandlerFailed(ILogger logger, Exception exception, string handler);
}
