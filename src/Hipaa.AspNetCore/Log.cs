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
}
