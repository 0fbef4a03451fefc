using System.Diagnostics;
using System.Globalization;

namespace Hipaa.Benchmarks.Auditing;

/// <summary>
/// <c>--throughput [seconds per phase] [rounds]</c>: the point query under concurrency, as a throughput ratio. N callers
/// (2, 4, 8; async loops on the thread pool, as request handlers would be) each run point queries back to back for a
/// fixed time, plain EF Core and audited alternating in the same process (plain first in odd rounds, audited first in even
/// ones), so both see the same machine load. Per store and caller count: queries/s of each, the time ratio
/// (plain q/s ÷ audited q/s: 1.10 means the audited query costs 10% more), bytes allocated per query (the whole process,
/// background sealing included), audit records per group commit (diagnostic, read by reflection) and the load average.
/// Every audited phase checks that exactly one audit record per query was written.
/// </summary>
public static class ThroughputRun
{
    /// <summary>Gets or sets a value indicating whether to query the table without PHI instead (diagnostic: the audited context's cost without records).</summary>
    public static bool NonPhiTable { get; set; }

    public static void Run(double seconds, int rounds, IReadOnlyList<AuditedQueryBenchmarks.SqliteStore> stores, TimeSpan sealInterval, IReadOnlyList<int> callerCounts)
    {
        var callerList = callerCounts;
        var phase = TimeSpan.FromSeconds(seconds);
        Console.WriteLine($"Point query throughput, {rounds} rounds of {seconds:F1} s per phase, callers {string.Join("/", callerList)}, sealing every {sealInterval.TotalSeconds:F0} s. Environment.ProcessorCount={Environment.ProcessorCount}. Start {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, load {Load()}.");
        Console.WriteLine();
        Console.WriteLine("| Store | Callers | plain q/s | audited q/s | ratio (median) | ratio (min–max) | plain B/query | audited B/query | plain CPU µs/query | audited CPU µs/query | records/commit | load |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var store in stores)
        {
            var query = new AuditedQueryBenchmarks { Store = store, SealInterval = sealInterval };
            query.Setup();
            try
            {
                // Warm-up (JIT tiers, dynamic PGO, pools), not reported.
                Phase(query, 8, audited: false, phase);
                Phase(query, 8, audited: true, phase);
                foreach (var callers in callerList)
                {
                    var plain = new List<Result>();
                    var audited = new List<Result>();
                    var loadBefore = Load();
                    for (var round = 0; round < rounds; round++)
                    {
                        if (round % 2 == 0)
                        {
                            plain.Add(Phase(query, callers, audited: false, phase));
                            audited.Add(Phase(query, callers, audited: true, phase));
                        }
                        else
                        {
                            audited.Add(Phase(query, callers, audited: true, phase));
                            plain.Add(Phase(query, callers, audited: false, phase));
                        }
                    }

                    var ratios = plain.Zip(audited, (p, a) => p.PerSecond / a.PerSecond).Order().ToList();
                    var commits = audited.Sum(a => a.Commits);
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"| {store} | {callers} | {Median(plain.Select(p => p.PerSecond)):N0} | {Median(audited.Select(a => a.PerSecond)):N0} | **{ratios[ratios.Count / 2]:F2}x** | {ratios[0]:F2}–{ratios[^1]:F2} | {Median(plain.Select(p => p.BytesPerQuery)):N0} | {Median(audited.Select(a => a.BytesPerQuery)):N0} | {Median(plain.Select(p => p.CpuMicroseconds)):N0} | {Median(audited.Select(a => a.CpuMicroseconds)):N0} | {(commits > 0 ? (audited.Sum(a => a.Queries) / (double)commits).ToString("F1", CultureInfo.InvariantCulture) : "n/a")} | {loadBefore} → {Load()} |"));
                }
            }
            finally
            {
                query.Cleanup();
            }
        }

        Console.WriteLine();
        Console.WriteLine($"End {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, load {Load()}.");
    }

    private static Result Phase(AuditedQueryBenchmarks query, int callers, bool audited, TimeSpan duration)
    {
        var rowsBefore = audited ? query.Host.CountAuditRows() : 0;
        var commitsBefore = query.Host.WriterTransactions ?? 0;
        var counts = new long[callers];
        var stop = 0;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                await query.PointQuery(caller, audited, NonPhiTable);
                counts[caller]++;
            }
        })).ToArray();
        Thread.Sleep(duration);
        Volatile.Write(ref stop, 1);
        Task.WaitAll(tasks);
        var elapsed = clock.Elapsed;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var queries = counts.Sum();
        var commits = (query.Host.WriterTransactions ?? 0) - commitsBefore;
        if (audited && !NonPhiTable)
        {
            var written = query.Host.CountAuditRows() - rowsBefore;
            if (written != queries)
            {
                throw new InvalidOperationException($"Throughput check failed: {queries} audited queries wrote {written} audit records.");
            }
        }

        return new Result(queries / elapsed.TotalSeconds, allocated / (double)queries, queries, commits, cpu.TotalMicroseconds / queries);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private readonly record struct Result(double PerSecond, double BytesPerQuery, long Queries, long Commits, double CpuMicroseconds);
}
