using System.Globalization;
using BenchmarkDotNet.Running;
using Hipaa.Benchmarks.Auditing;

// Audit benchmarks (issue 3). Results, the machine and what each case measures: docs/benchmarks-audit.md.
//   dotnet run -c Release --project benchmarks/Hipaa.Benchmarks.Auditing -- --filter '*AuditedQueryBenchmarks*' --launchCount 1 --warmupCount 5 --iterationCount 15
//   dotnet run -c Release --project benchmarks/Hipaa.Benchmarks.Auditing -- --filter '*WhoAccessedBenchmarks*' --launchCount 1 --warmupCount 3 --iterationCount 10
//   scripts/with-postgres.sh dotnet run -c Release --project benchmarks/Hipaa.Benchmarks.Auditing -- --filter '*AuditAppendThroughput*' '*AuditInsertPath*' --launchCount 1 --warmupCount 3 --iterationCount 10
//   scripts/with-postgres.sh dotnet run -c Release --project benchmarks/Hipaa.Benchmarks.Auditing -- --filter '*WhoAccessedPostgres*' --launchCount 1 --warmupCount 3 --iterationCount 10
// Single-call latency percentiles (not BenchmarkDotNet):  ... -- --latency [calls, default 3000]
// Point query under concurrency, audited vs plain q/s (not BenchmarkDotNet): ... -- --throughput [seconds per phase, default 2] [rounds, default 5] [Memory|File|FileSyncNormal ...] [seal=SECONDS, default 1] [callers=2,4,8] [nonphi: the table without PHI, diagnostic]
// The rebuilt read path (issue 13), plain EF Core vs auditing alone vs the full stack, paired rounds in one process (not BenchmarkDotNet):
//   ... -- --read-path [rounds, default 30] [Sqlite|Postgres ..., default Sqlite and, when HIPAA_TEST_POSTGRES is set, Postgres] [seconds=S per 8-caller phase, default 2] [throughput-rounds=N, default 5]
//   scripts/bench-read-path.sh [same arguments]   (starts a throwaway PostgreSQL cluster, runs both providers, removes it)
// Quick look: ... --job short; setups and their checks only: ... --job dry
if (args.Length > 0 && args[0] == "--latency")
{
    LatencyRun.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3_000);
    return;
}

if (args.Length > 0 && args[0] == "--read-path")
{
    ReadPathRun.Run(args[1..]);
    return;
}

if (args.Length > 0 && args[0] == "--profile-point")
{
    // For a profiler (dotnet-trace collect -- ...): the full-stack point query of --read-path on SQLite in memory, in a
    // loop for the given seconds (default 20); nothing is measured here. "plain" or "audited" loops over that case
    // instead; the number of calls is printed, to turn a profile's samples into time per call. seal=S sets the sealing
    // interval (default 1 s); "page" loops over the 100-patient page instead of the point query; "postgres" runs on the
    // PostgreSQL of HIPAA_TEST_POSTGRES (scripts/with-postgres.sh) instead of SQLite in memory.
    var sealSeconds = args.FirstOrDefault(a => a.StartsWith("seal=", StringComparison.Ordinal)) is { } sealArg ? double.Parse(sealArg[5..], CultureInfo.InvariantCulture) : 1;
    using var host = new ReadPathHost(args.Contains("postgres") ? BenchProvider.Postgres : BenchProvider.Sqlite, TimeSpan.FromSeconds(sealSeconds));
    var seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 20;
    Func<Guid, Task<object>> point = args.Contains("page")
        ? (args.Contains("plain") ? _ => host.PlainPage() : args.Contains("audited") ? _ => host.AuditedPage() : _ => host.FullPage())
        : (args.Contains("plain") ? host.PlainPoint : args.Contains("audited") ? host.AuditedPoint : host.FullPoint);
    var until = DateTime.UtcNow.AddSeconds(seconds);
    var calls = 0;
    for (; DateTime.UtcNow < until; calls++)
    {
        await point(host.PageIds[calls % ReadPathHost.PageSize]);
    }

    Console.WriteLine($"{calls} calls in {seconds} s");
    return;
}

if (args.Length > 0 && args[0] == "--throughput")
{
    ThroughputRun.NonPhiTable = args.Contains("nonphi");
    ThroughputRun.Run(
        args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 2,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5,
        args.Length > 3 ? [.. args.Skip(3).Where(a => !a.Contains('=', StringComparison.Ordinal) && a != "nonphi").Select(Enum.Parse<AuditedQueryBenchmarks.SqliteStore>)] : Enum.GetValues<AuditedQueryBenchmarks.SqliteStore>(),
        TimeSpan.FromSeconds(args.FirstOrDefault(a => a.StartsWith("seal=", StringComparison.Ordinal)) is { } seal ? double.Parse(seal[5..], CultureInfo.InvariantCulture) : 1),
        args.FirstOrDefault(a => a.StartsWith("callers=", StringComparison.Ordinal)) is { } callers ? [.. callers[8..].Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))] : [2, 4, 8]);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(AuditedQueryBenchmarks).Assembly).Run(args);
