using System.Diagnostics;
using System.Globalization;

namespace Hipaa.Benchmarks.Auditing;

/// <summary>
/// <c>--read-path [rounds] [Sqlite|Postgres …] [seconds=S] [throughput-rounds=N]</c> (issue 13): the rebuilt read path
/// against plain EF Core, paired in one process. Per provider (SQLite in memory; PostgreSQL from
/// <c>HIPAA_TEST_POSTGRES</c>, see scripts/bench-read-path.sh) and per group of cases (<see cref="ReadPathHost"/>): a
/// warm-up of every case, then <c>rounds</c> rounds in which every case runs one batch (the same number of calls for all,
/// what plain EF Core does in about 40 ms), in forward order in even rounds and reverse order in odd ones, so load from
/// other processes and background work (group commit, sealing every second) fall on both sides. A ratio is taken per
/// round (audited batch ÷ plain batch of the same round); the table gives the medians of µs per call, and the median and
/// p25–p75 of the per-round ratios. Then the point query under 8 concurrent callers (closed loop, as
/// <see cref="ThroughputRun"/>): plain and full stack phases alternating, ratio = plain q/s ÷ full-stack q/s. Every
/// audited call is checked first to return the seeded values and write one audit record per patient.
/// </summary>
public static class ReadPathRun
{
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Batch = TimeSpan.FromMilliseconds(40);

    public static void Run(string[] args)
    {
        var rounds = args.FirstOrDefault(a => int.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out _)) is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : 30;
        var providers = Enum.GetValues<BenchProvider>().Where(p => args.Contains(p.ToString(), StringComparer.OrdinalIgnoreCase)).ToList();
        if (providers.Count == 0)
        {
            providers.Add(BenchProvider.Sqlite);
            if (Environment.GetEnvironmentVariable(BenchPostgres.Variable) is { Length: > 0 })
            {
                providers.Add(BenchProvider.Postgres);
            }
        }

        var seconds = Option(args, "seconds=") ?? 2;
        var throughputRounds = (int)(Option(args, "throughput-rounds=") ?? 5);
        var seal = TimeSpan.FromSeconds(Option(args, "seal=") ?? 1);
        RunAsync(rounds, providers, TimeSpan.FromSeconds(seconds), throughputRounds, seal).GetAwaiter().GetResult();
    }

    private static async Task RunAsync(int rounds, IReadOnlyList<BenchProvider> providers, TimeSpan phase, int throughputRounds, TimeSpan seal)
    {
        Console.WriteLine($"Read path (issue 13), {rounds} interleaved rounds per group, batches of ~{Batch.TotalMilliseconds:F0} ms of plain EF Core, warm-up {Warmup.TotalSeconds:F0} s; 8-caller point query: {throughputRounds} rounds of {phase.TotalSeconds:F1} s per phase. Sealing every {seal.TotalSeconds:F0} s (default 1). Environment.ProcessorCount={Environment.ProcessorCount}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}.");
        Console.WriteLine($"Start {Now()}, load {Load()}.");
        var rows = new List<string>();
        var notes = new List<string>();
        foreach (var provider in providers)
        {
            var name = provider == BenchProvider.Sqlite ? "SQLite in memory" : "PostgreSQL";
            using var host = new ReadPathHost(provider, seal);
            await host.CheckAsync();
            Console.WriteLine($"{name}: setup checked (values, one audit record per patient, ciphertext at rest, policy enforced). {Now()}, load {Load()}.");
            Console.WriteLine($"{name}: {host.MaterializationsPerRow}.");
            notes.Add($"{name}: {host.MaterializationsPerRow}.");

            // 1. The 100-patient page and its DTO projection, auditing alone.
            {
                var load = Load();
                var m = await Measure(
                    rounds,
                    new(host.PlainPage),
                    new(host.AuditedPage, () => host.AuditCounters),
                    new(host.PlainDto),
                    new(host.AuditedDto, () => host.AuditCounters),
                    new(host.AuditedDtoOneField, () => host.AuditCounters),
                    new(host.AppendPageRecords, () => host.AuditCounters),
                    new(host.AuditedPagePerPatient, () => host.PerPatientCounters));
                notes.Add($"{name}, auditing alone: load {load} → {Load()}.");
                rows.Add(Row(name, "100-patient page, auditing alone", m, 1, 0, provider == BenchProvider.Sqlite ? 2.0 : null));
                rows.Add(Row(name, "DTO page (4 PHI fields + id), auditing alone / plain DTO", m, 3, 2, null));
                rows.Add(Row(name, "DTO page, auditing alone / entity page, auditing alone", m, 3, 1, 1.0));
                rows.Add(Row(name, "(plain DTO / plain entity page)", m, 2, 0, null));
                rows.Add(Row(name, "(diagnostic: DTO page of 4 PHI fields / DTO page of 1 PHI field, both auditing alone)", m, 3, 4, null));
                rows.Add(Row(name, "(diagnostic: IAuditSink.AppendAsync of the page's 100 records, no query / plain entity page)", m, 5, 0, null));
                rows.Add(Row(name, "(diagnostic: the page with ReadAuditCommit.PerPatient / plain entity page)", m, 6, 0, null));
            }

            // 2. The same page through the full stack: query only, values read, and the DTO projection.
            {
                var load = Load();
                var m = await Measure(
                    rounds,
                    new(host.PlainPage),
                    new(host.FullPage, () => host.FullCounters),
                    new(host.FullPageReadAll, () => host.FullCounters),
                    new(host.PlainDto),
                    new(host.FullDto, () => host.FullCounters));
                notes.Add($"{name}, full stack, page: load {load} → {Load()}.");
                rows.Add(Row(name, "100-patient page, full stack, query only", m, 1, 0, 2.5));
                rows.Add(Row(name, "100-patient page, full stack, all 3 encrypted values read", m, 2, 0, null));
                rows.Add(Row(name, "DTO page, full stack / plain DTO", m, 4, 3, null));
                rows.Add(Row(name, "DTO page, full stack / entity page, full stack, values read", m, 4, 2, 1.0));
                rows.Add(Row(name, "DTO page, full stack / entity page, full stack, query only", m, 4, 1, null));
            }

            // 3. The point query, one caller.
            {
                var load = Load();
                var plainNext = 0;
                var fullNext = 0;
                var auditedNext = 0;
                var m = await Measure(
                    rounds,
                    new(() => host.PlainPoint(host.PageIds[plainNext++ % ReadPathHost.PageSize])),
                    new(() => host.FullPoint(host.PageIds[fullNext++ % ReadPathHost.PageSize]), () => host.FullCounters),
                    new(() => host.AuditedPoint(host.PageIds[auditedNext++ % ReadPathHost.PageSize]), () => host.AuditCounters));
                notes.Add($"{name}, full stack, point query: load {load} → {Load()}.");
                rows.Add(Row(name, "Point query by id, full stack, 1 caller", m, 1, 0, provider == BenchProvider.Sqlite ? 1.4 : 1.5));
                rows.Add(Row(name, "(diagnostic: point query, auditing alone / plain)", m, 2, 0, null));
                rows.Add(Row(name, "(diagnostic: point query, full stack / auditing alone — what encryption and policy add)", m, 1, 2, null));
            }

            // 4. The point query, 8 concurrent callers (throughput).
            rows.Add(await Throughput(name, host, 8, phase, throughputRounds, provider == BenchProvider.Postgres ? 1.6 : null, notes));
        }

        Console.WriteLine();
        Console.WriteLine("| Provider | Case | plain µs/call | audited µs/call | ratio (median) | ratio (p25–p75) | target | met? | records/commit |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---|---:|");
        rows.ForEach(Console.WriteLine);
        Console.WriteLine();
        notes.ForEach(n => Console.WriteLine("- " + n));
        Console.WriteLine();
        Console.WriteLine($"End {Now()}, load {Load()}.");
    }

    /// <summary>
    /// Warm-up, then <paramref name="rounds"/> rounds of one batch per case; returns µs per call, [case][round], and for
    /// each case with counters its audit records per group commit (counted around its batches, outside the timing).
    /// </summary>
    private static async Task<Measured> Measure(int rounds, params Case[] cases)
    {
        var warmup = Stopwatch.StartNew();
        var batch = await Calibrate(cases[0].Call);
        while (warmup.Elapsed < Warmup)
        {
            foreach (var c in cases)
            {
                await RunBatch(c.Call, batch); // JIT tiers, dynamic PGO, query caches, key caches, pools
            }
        }

        batch = await Calibrate(cases[0].Call);
        var times = cases.Select(_ => new double[rounds]).ToArray();
        var records = new long[cases.Length];
        var commits = new long[cases.Length];
        for (var round = 0; round < rounds; round++)
        {
            for (var k = 0; k < cases.Length; k++)
            {
                var c = round % 2 == 0 ? k : cases.Length - 1 - k;
                var before = cases[c].Counters?.Invoke();
                times[c][round] = await RunBatch(cases[c].Call, batch);
                if (before is { } b && cases[c].Counters!() is { } a)
                {
                    records[c] += a.Records - b.Records;
                    commits[c] += (a.Commits ?? 0) - (b.Commits ?? 0);
                }
            }
        }

        Console.WriteLine($"  {cases.Length} cases × {rounds} rounds × {batch} calls, {Now()}, load {Load()}");
        return new Measured(
            times,
            [.. cases.Select((c, i) => c.Counters is null ? "–" : commits[i] > 0 ? (records[i] / (double)commits[i]).ToString("F1", CultureInfo.InvariantCulture) : "n/a")]);
    }

    private static async Task<double> RunBatch(Func<Task<object>> call, int batch)
    {
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < batch; i++)
        {
            GC.KeepAlive(await call());
        }

        return Stopwatch.GetElapsedTime(start).TotalMicroseconds / batch;
    }

    private static async Task<int> Calibrate(Func<Task<object>> baseline)
    {
        var stopwatch = Stopwatch.StartNew();
        var count = 0;
        while (stopwatch.Elapsed < TimeSpan.FromMilliseconds(200))
        {
            GC.KeepAlive(await baseline());
            count++;
        }

        return Math.Max(2, (int)(count * Batch.TotalMilliseconds / stopwatch.Elapsed.TotalMilliseconds));
    }

    private static string Row(string provider, string name, Measured measured, int numerator, int denominator, double? limit)
    {
        var times = measured.Times;
        var perCommit = measured.PerCommit[numerator];
        var ratios = times[numerator].Zip(times[denominator], (a, p) => a / p).ToList();
        var median = Percentile(ratios, 0.5);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"| {provider} | {name} | {Percentile(times[denominator], 0.5):N0} | {Percentile(times[numerator], 0.5):N0} | **{median:F2}x** | {Percentile(ratios, 0.25):F2}–{Percentile(ratios, 0.75):F2} | {(limit is { } l ? $"≤ {l:F1}x" : "–")} | {(limit is { } m ? (median <= m ? "yes" : "**no**") : "–")} | {perCommit} |");
    }

    /// <summary>N callers in a closed loop on the thread pool, plain and full stack alternating (plain first in even rounds).</summary>
    private static async Task<string> Throughput(string provider, ReadPathHost host, int callers, TimeSpan phase, int rounds, double? limit, List<string> notes)
    {
        var load = Load();
        await Phase(host, callers, full: false, phase);
        await Phase(host, callers, full: true, phase);
        var plain = new List<Result>();
        var full = new List<Result>();
        var before = host.FullCounters;
        for (var round = 0; round < rounds; round++)
        {
            if (round % 2 == 0)
            {
                plain.Add(await Phase(host, callers, full: false, phase));
                full.Add(await Phase(host, callers, full: true, phase));
            }
            else
            {
                full.Add(await Phase(host, callers, full: true, phase));
                plain.Add(await Phase(host, callers, full: false, phase));
            }
        }

        var after = host.FullCounters;
        var queries = full.Sum(f => f.Queries);
        if (after.Records - before.Records != queries)
        {
            throw new InvalidOperationException($"Throughput check failed: {queries} full-stack point queries wrote {after.Records - before.Records} audit records.");
        }

        var perCommit = PerCommit(before, after);
        var ratios = plain.Zip(full, (p, f) => p.PerSecond / f.PerSecond).ToList();
        var median = Percentile(ratios, 0.5);
        notes.Add(string.Create(
            CultureInfo.InvariantCulture,
            $"{provider}, point query, {callers} callers: plain {Percentile(plain.ConvertAll(p => p.PerSecond), 0.5):N0} q/s ({Percentile(plain.ConvertAll(p => p.CpuMicroseconds), 0.5):N0} µs CPU/query), full stack {Percentile(full.ConvertAll(f => f.PerSecond), 0.5):N0} q/s ({Percentile(full.ConvertAll(f => f.CpuMicroseconds), 0.5):N0} µs CPU/query); ratio min–max {ratios.Min():F2}–{ratios.Max():F2}; {perCommit} records per group commit; load {load} → {Load()}."));
        Console.WriteLine($"  point query, {callers} callers, {rounds} rounds × 2 phases of {phase.TotalSeconds:F1} s, {Now()}, load {Load()}");
        return string.Create(
            CultureInfo.InvariantCulture,
            $"| {provider} | Point query, full stack, {callers} concurrent callers (µs = 1 s ÷ q/s; ratio of q/s) | {1e6 / Percentile(plain.ConvertAll(p => p.PerSecond), 0.5):N0} | {1e6 / Percentile(full.ConvertAll(f => f.PerSecond), 0.5):N0} | **{median:F2}x** | {Percentile(ratios, 0.25):F2}–{Percentile(ratios, 0.75):F2} | {(limit is { } l ? $"≤ {l:F1}x" : "–")} | {(limit is { } m ? (median <= m ? "yes" : "**no**") : "–")} | {perCommit} |");
    }

    private static async Task<Result> Phase(ReadPathHost host, int callers, bool full, TimeSpan duration)
    {
        var counts = new long[callers];
        var stop = 0;
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            var id = host.PageIds[(caller * 13) % ReadPathHost.PageSize];
            while (Volatile.Read(ref stop) == 0)
            {
                GC.KeepAlive(full ? await host.FullPoint(id) : await host.PlainPoint(id));
                counts[caller]++;
            }
        })).ToArray();
        await Task.Delay(duration);
        Volatile.Write(ref stop, 1);
        await Task.WhenAll(tasks);
        var elapsed = clock.Elapsed;
        process.Refresh();
        var queries = counts.Sum();
        return new Result(queries / elapsed.TotalSeconds, queries, (process.TotalProcessorTime - cpuBefore).TotalMicroseconds / queries);
    }

    private static string PerCommit((long Records, long? Commits) before, (long Records, long? Commits) after) =>
        after.Commits - before.Commits is long commits && commits > 0
            ? ((after.Records - before.Records) / (double)commits).ToString("F1", CultureInfo.InvariantCulture)
            : "n/a";

    private static double? Option(string[] args, string prefix) =>
        args.FirstOrDefault(a => a.StartsWith(prefix, StringComparison.Ordinal)) is { } value ? double.Parse(value[prefix.Length..], CultureInfo.InvariantCulture) : null;

    private static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToList();
        var index = p * (sorted.Count - 1);
        var low = (int)Math.Floor(index);
        var high = (int)Math.Ceiling(index);
        return sorted[low] + ((sorted[high] - sorted[low]) * (index - low));
    }

    private static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private sealed record Case(Func<Task<object>> Call, Func<(long Records, long? Commits)>? Counters = null);

    private sealed record Measured(double[][] Times, string[] PerCommit);

    private readonly record struct Result(double PerSecond, long Queries, double CpuMicroseconds);
}
