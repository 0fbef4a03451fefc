using System.Diagnostics;
using System.Diagnostics.Metrics;
using Hipaa.Diagnostics;

namespace Hipaa.EfCore.Diagnostics;

/// <summary>
/// The instruments and activities of this package, on the shared <see cref="HipaaDiagnostics.MeterName"/> meter and
/// <see cref="HipaaDiagnostics.ActivitySourceName"/> source. Tags never hold PHI or patient ids.
/// </summary>
internal static class EfCoreTelemetry
{
    private static readonly string? Version = typeof(EfCoreTelemetry).Assembly.GetName().Version?.ToString();
    private static readonly Meter Meter = new(HipaaDiagnostics.MeterName, Version);
    private static long _lastSealTicks;
    private static TimeProvider? _sealClock;

    /// <summary>The activity source: <c>hipaa.startup.checks</c>, <c>hipaa.audit.seal</c>.</summary>
    public static readonly ActivitySource ActivitySource = new(HipaaDiagnostics.ActivitySourceName, Version);

    /// <summary><c>hipaa.audit.records_appended</c>: read records committed by the group-commit writer.</summary>
    public static readonly Counter<long> RecordsAppended = Meter.CreateCounter<long>("hipaa.audit.records_appended", "{record}", "Audit records of reads committed by the group-commit writer.");

    /// <summary><c>hipaa.audit.append_failures</c>: group commits that failed (their reads failed closed).</summary>
    public static readonly Counter<long> AppendFailures = Meter.CreateCounter<long>("hipaa.audit.append_failures", "{commit}", "Group commits of audit records that failed; the reads waiting on them were refused.");

    /// <summary><c>hipaa.audit.records_sealed</c>: records sealed into the hash chain.</summary>
    public static readonly Counter<long> RecordsSealed = Meter.CreateCounter<long>("hipaa.audit.records_sealed", "{record}", "Audit records sealed into the hash chain.");

    /// <summary><c>hipaa.audit.seal_failures</c>: sealing rounds that failed.</summary>
    public static readonly Counter<long> SealFailures = Meter.CreateCounter<long>("hipaa.audit.seal_failures", "{round}", "Sealing rounds that failed.");

    static EfCoreTelemetry()
    {
        Meter.CreateObservableGauge(
            "hipaa.audit.seal.age",
            ObserveSealAge,
            "s",
            "Seconds since this process last completed a sealing round (a growing value means the sealing lags).");
    }

    /// <summary>Notes a successful sealing round at <paramref name="clock"/>'s now.</summary>
    public static void SealSucceeded(TimeProvider clock)
    {
        _sealClock = clock;
        Interlocked.Exchange(ref _lastSealTicks, clock.GetUtcNow().UtcTicks);
    }

    private static IEnumerable<Measurement<double>> ObserveSealAge()
    {
        var ticks = Interlocked.Read(ref _lastSealTicks);
        if (ticks == 0 || _sealClock is not { } clock)
        {
            return [];
        }

        return [new Measurement<double>(Math.Max(0, (clock.GetUtcNow().UtcTicks - ticks) / (double)TimeSpan.TicksPerSecond))];
    }
}
