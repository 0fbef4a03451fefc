using System.Globalization;
using BenchmarkDotNet.Running;
using Hipaa.Benchmarks.Auditing;

// Audit benchmarks (issue 3); results and the exact commands are in docs/benchmarks-audit.md.
//   SQLite:      dotnet run -c Release --project benchmarks/Hipaa.Benchmarks.Auditing -- --filter '*AuditedQueryBenchmarks*' '*WhoAccessedBenchmarks*' --launchCount 1 --warmupCount 5 --iterationCount 15
//   PostgreSQL:  scripts/with-postgres.sh dotnet run -c Release --project benchmarks/Hipaa.Benchmarks.Auditing -- --filter '*AuditAppendThroughput*' '*AuditInsertPath*' '*WhoAccessedPostgres*' --launchCount 1 --warmupCount 3 --iterationCount 10
//   Single-call latency percentiles (not BenchmarkDotNet):  ... -- --latency [calls, default 3000]
if (args.Length > 0 && args[0] == "--latency")
{
    LatencyRun.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3_000);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(AuditedQueryBenchmarks).Assembly).Run(args);
