using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Hipaa.Diagnostics;

/// <summary>The instruments of this package (policy decisions, KEK calls), on the shared <see cref="HipaaDiagnostics.MeterName"/> meter.</summary>
internal static class CoreTelemetry
{
    private static readonly Meter Meter = new(HipaaDiagnostics.MeterName, typeof(CoreTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary><c>hipaa.policy.decisions</c>: decisions of the policy engine, tagged <c>hipaa.outcome</c> and <c>hipaa.action</c>.</summary>
    public static readonly Counter<long> Decisions = Meter.CreateCounter<long>("hipaa.policy.decisions", "{decision}", "Decisions of the policy engine by outcome and action.");

    /// <summary><c>hipaa.kek.calls</c>: calls to the key-encryption key, tagged <c>hipaa.operation</c> (wrap, unwrap) and <c>hipaa.outcome</c> (success, failure).</summary>
    public static readonly Counter<long> KekCalls = Meter.CreateCounter<long>("hipaa.kek.calls", "{call}", "Calls to the key-encryption key (KMS or HSM) by operation and outcome.");

    /// <summary><c>hipaa.kek.duration</c>: how long a call to the key-encryption key took, in seconds, tagged <c>hipaa.operation</c>.</summary>
    public static readonly Histogram<double> KekDuration = Meter.CreateHistogram<double>("hipaa.kek.duration", "s", "Duration of calls to the key-encryption key (KMS or HSM).");

    /// <summary>Records a policy decision.</summary>
    public static void RecordDecision(Policy.AccessOutcome outcome, Policy.PhiAction action)
    {
        if (Decisions.Enabled)
        {
            Decisions.Add(1, new KeyValuePair<string, object?>("hipaa.outcome", outcome.ToString()), new KeyValuePair<string, object?>("hipaa.action", action.ToString()));
        }
    }

    /// <summary>Records a KEK call that started at <paramref name="startTimestamp"/> (<see cref="Stopwatch.GetTimestamp()"/>).</summary>
    public static void RecordKekCall(string operation, bool succeeded, long startTimestamp)
    {
        var operationTag = new KeyValuePair<string, object?>("hipaa.operation", operation);
        if (KekCalls.Enabled)
        {
            KekCalls.Add(1, operationTag, new KeyValuePair<string, object?>("hipaa.outcome", succeeded ? "success" : "failure"));
        }

        if (KekDuration.Enabled)
        {
            KekDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, operationTag);
        }
    }
}
