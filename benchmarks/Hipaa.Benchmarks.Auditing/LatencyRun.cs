using System.Diagnostics;
using System.Globalization;

namespace Hipaa.Benchmarks.Auditing;

/// <summary>
/// <c>--latency [calls]</c>: the time of single calls (BenchmarkDotNet reports means of iterations, which hide rare stalls):
/// p50, p95, p99 and max of the point query (plain, audited, and the raw-insert lower bound), of one record appended through
/// <c>IAuditSink</c> (each store of <see cref="AuditedQueryBenchmarks"/>; sealing every second as in production, and
/// deferred to 10 minutes to show what the sealing loop adds) and of who-accessed over the seeded
/// 1,000,000 records (SQLite file; seeded on first use as <see cref="WhoAccessedBenchmarks"/> does).
/// </summary>
public static class LatencyRun
{
    public static void Run(int calls)
    {
        Console.WriteLine($"Single-call latency, {calls} calls each after {Math.Max(calls / 2, 5_000)} warm-up calls. Environment.ProcessorCount={Environment.ProcessorCount}.");
        Console.WriteLine();
        // The first case measured in a process came out about 4x slower whichever it was (JIT tiering and dynamic PGO
        // still at work after thousands of calls): one unreported pass first.
        var warmUp = new AuditedQueryBenchmarks { Store = AuditedQueryBenchmarks.SqliteStore.Memory };
        warmUp.Setup();
        try
        {
            Measure("warm-up", "Memory", "every 1 s", calls, () => warmUp.Point_PlainEf(), report: false);
            Measure("warm-up", "Memory", "every 1 s", calls, () => warmUp.Point_Audited(), report: false);
        }
        finally
        {
            warmUp.Cleanup();
        }

        var wal = new List<string>();
        Console.WriteLine("| Case | Store | Sealing | p50 | p95 | p99 | max | calls > 50 ms |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|");
        foreach (var store in new[] { AuditedQueryBenchmarks.SqliteStore.Memory, AuditedQueryBenchmarks.SqliteStore.File, AuditedQueryBenchmarks.SqliteStore.FileSyncNormal })
        {
            foreach (var seal in new[] { TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10) })
            {
                var query = new AuditedQueryBenchmarks { Store = store, SealInterval = seal };
                query.Setup();
                try
                {
                    var sealing = seal == TimeSpan.FromSeconds(1) ? "every 1 s" : "deferred (10 min)";
                    Measure("Point_PlainEf", store.ToString(), sealing, calls, () => query.Point_PlainEf());
                    Measure("Point_Audited", store.ToString(), sealing, calls, () => query.Point_Audited());
                    Measure("Point_Audited_NonPhiTable", store.ToString(), sealing, calls, () => query.Point_Audited_NonPhiTable());
                    Measure("Point_PlainEf_ThenRawInsert", store.ToString(), sealing, calls, () => query.Point_PlainEf_ThenRawInsert());
                    Measure("IAuditSink.AppendAsync, 1 record", store.ToString(), sealing, calls, query.AppendOneRecord);
                    Measure("Page100Patients_PlainEf", store.ToString(), sealing, Math.Max(calls / 10, 50), () => query.Page100Patients_PlainEf());
                    Measure("Page100Patients_Audited (PerPatient)", store.ToString(), sealing, Math.Max(calls / 10, 50), () => query.Page100Patients_Audited());
                    Measure("Page100Patients_AuditedPerQuery", store.ToString(), sealing, Math.Max(calls / 10, 50), () => query.Page100Patients_AuditedPerQuery());
                    if (store != AuditedQueryBenchmarks.SqliteStore.Memory)
                    {
                        wal.Add($"| {store} | {sealing} | {query.AuditRows:N0} | {query.WalBytes / (1024.0 * 1024.0):N0} MiB |");
                    }
                }
                finally
                {
                    query.Cleanup();
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine("Size of the SQLite write-ahead log (notes.db-wal) at the end of each file case:");
        Console.WriteLine();
        Console.WriteLine("| Store | Sealing | rows in hipaa_audit | WAL |");
        Console.WriteLine("|---|---|---:|---:|");
        wal.ForEach(Console.WriteLine);
        Console.WriteLine();

        var who = new WhoAccessedBenchmarks();
        who.Setup();
        try
        {
            Console.WriteLine();
            Console.WriteLine("| Case | Store | Sealing | p50 | p95 | p99 | max | calls > 50 ms |");
            Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|");
            Measure("WhoAccessed_AllTime (1,000,000 records)", "File", "every 1 s", calls, () => who.WhoAccessed_AllTime());
        }
        finally
        {
            who.Cleanup();
        }
    }

    private static void Measure(string name, string store, string sealing, int calls, Func<Task> call, bool report = true)
    {
        for (var i = 0; i < Math.Max(calls / 2, 5_000); i++)
        {
            call().GetAwaiter().GetResult();
        }

        var times = new double[calls];
        for (var i = 0; i < calls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            call().GetAwaiter().GetResult();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        if (!report)
        {
            return;
        }

        Array.Sort(times);
        string Ms(double value) => value.ToString("F3", CultureInfo.InvariantCulture) + " ms";
        Console.WriteLine(
            $"| {name} | {store} | {sealing} | {Ms(times[calls / 2])} | {Ms(times[(int)(calls * 0.95)])} | {Ms(times[(int)(calls * 0.99)])} | {Ms(times[^1])} | {times.Count(t => t > 50)} |");
    }
}
