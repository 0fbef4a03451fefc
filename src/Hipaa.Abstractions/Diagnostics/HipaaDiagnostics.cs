namespace Hipaa.Diagnostics;

/// <summary>
/// The names under which Hipaa.Sdk publishes metrics and traces: subscribe with
/// <c>.WithMetrics(m =&gt; m.AddMeter(HipaaDiagnostics.MeterName))</c> and
/// <c>.WithTracing(t =&gt; t.AddSource(HipaaDiagnostics.ActivitySourceName))</c> (OpenTelemetry), or a
/// <c>MeterListener</c>/<c>ActivityListener</c>. No instrument or activity carries PHI or patient ids in its tags
/// (docs/operations.md lists them).
/// </summary>
public static class HipaaDiagnostics
{
    /// <summary>The name of every Hipaa.Sdk <see cref="System.Diagnostics.Metrics.Meter"/>: <c>Hipaa.Sdk</c>.</summary>
    public const string MeterName = "Hipaa.Sdk";

    /// <summary>The name of every Hipaa.Sdk <see cref="System.Diagnostics.ActivitySource"/>: <c>Hipaa.Sdk</c>.</summary>
    public const string ActivitySourceName = "Hipaa.Sdk";
}
