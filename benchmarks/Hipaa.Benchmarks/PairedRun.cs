using System.Diagnostics;
using System.Globalization;

namespace Hipaa.Benchmarks;

/// <summary>
/// A companion to the BenchmarkDotNet classes for shared, noisy machines (`-- --paired`). BenchmarkDotNet runs each
/// case in its own process one after another, so load from other processes that comes and goes between cases skews
/// the ratios. Here the cases of a group run round-robin in one process, in batches of about five milliseconds, and each
/// case's ratio to the group's baseline (its first case) is taken per round, so changes in load that are slower than
/// a round cancel out. It prints the median time per operation and the median and interquartile range of the ratios.
/// </summary>
internal static class PairedRun
{
    /// <summary>Dynamic PGO needs seconds of a loop to settle (an EF Core point query takes ~4 s here to reach its steady state).</summary>
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(6);

    /// <param name="rounds">Rounds per group.</param>
    /// <param name="groups">Runs only the groups whose name contains this text (case-insensitive); all when empty.</param>
    public static void Run(int rounds, string groups)
    {
        bool Selected(string group) => group.Contains(groups, StringComparison.OrdinalIgnoreCase);
        if (Selected("Point query") || Selected("100-row query"))
        {
            RunQueries(rounds, Selected);
        }

        if (Selected("Insert, 1 new patient") || Selected("Insert, 100 new patients"))
        {
            RunInserts(rounds, Selected);
        }

        foreach (var size in new[] { 32, 1024, 65536 })
        {
            if (!Selected($"Encrypt, {size} B") && !Selected($"Decrypt, {size} B"))
            {
                continue;
            }

            var cipher = new FieldCipherBenchmarks { Size = size };
            cipher.Setup();
            try
            {
                if (Selected($"Encrypt, {size} B"))
                {
                    Measure($"Encrypt, {size} B", rounds, Cases(
                        ("AesGcmEncrypt", () => cipher.AesGcmEncrypt()),
                        ("AesGcmEncryptSameAssociatedData", () => cipher.AesGcmEncryptSameAssociatedData()),
                        ("FieldCipherEncrypt", () => cipher.FieldCipherEncrypt()),
                        ("FieldCipherKeyRingEncrypt", () => cipher.FieldCipherKeyRingEncrypt()),
                        ("DataProtectionProtect", () => cipher.DataProtectionProtect())));
                }

                if (Selected($"Decrypt, {size} B"))
                {
                    Measure($"Decrypt, {size} B", rounds, Cases(
                        ("AesGcmDecrypt", () => cipher.AesGcmDecrypt()),
                        ("AesGcmDecryptSameAssociatedData", () => cipher.AesGcmDecryptSameAssociatedData()),
                        ("AesGcmDecryptBindingInPlaintext", () => cipher.AesGcmDecryptBindingInPlaintext()),
                        ("FieldCipherDecrypt", () => cipher.FieldCipherDecrypt()),
                        ("FieldCipherDecryptVersion1", () => cipher.FieldCipherDecryptVersion1()),
                        ("FieldCipherKeyRingDecrypt", () => cipher.FieldCipherKeyRingDecrypt()),
                        ("DataProtectionUnprotect", () => cipher.DataProtectionUnprotect())));
                }
            }
            finally
            {
                cipher.Cleanup();
            }
        }
    }

    private static void RunQueries(int rounds, Func<string, bool> selected)
    {
        var queries = new EfQueryBenchmarks();
        queries.Setup();
        try
        {
            if (selected("Point query"))
            {
                Measure("Point query", rounds, Cases(
                    ("PointPlainEf", () => queries.PointPlainEf().GetAwaiter().GetResult()),
                    ("PointPlainEfNoOpInterceptor", () => queries.PointPlainEfNoOpInterceptor().GetAwaiter().GetResult()),
                    ("PointHipaaNoEncryptedProperties", () => queries.PointHipaaNoEncryptedProperties().GetAwaiter().GetResult()),
                    ("PointHipaaEncrypted", () => queries.PointHipaaEncrypted().GetAwaiter().GetResult()),
                    ("PointHipaaDeferred", () => queries.PointHipaaDeferred().GetAwaiter().GetResult()),
                    ("PointHipaaDeferredReadAll", () => queries.PointHipaaDeferredReadAll().GetAwaiter().GetResult())));
            }

            if (selected("100-row query"))
            {
                Measure("100-row query", rounds, Cases(
                    ("PagePlainEf", () => queries.PagePlainEf().GetAwaiter().GetResult()),
                    ("PagePlainEfNoOpInterceptor", () => queries.PagePlainEfNoOpInterceptor().GetAwaiter().GetResult()),
                    ("PageHipaaNoEncryptedProperties", () => queries.PageHipaaNoEncryptedProperties().GetAwaiter().GetResult()),
                    ("PageHipaaEncrypted", () => queries.PageHipaaEncrypted().GetAwaiter().GetResult()),
                    ("PageHipaaDeferred", () => queries.PageHipaaDeferred().GetAwaiter().GetResult()),
                    ("PageHipaaDeferredReadAll", () => queries.PageHipaaDeferredReadAll().GetAwaiter().GetResult())));
            }
        }
        finally
        {
            queries.Cleanup();
        }
    }

    private static void RunInserts(int rounds, Func<string, bool> selected)
    {
        var inserts = new EfInsertBenchmarks();
        inserts.Setup();
        try
        {
            if (selected("Insert, 1 new patient"))
            {
                Measure("Insert, 1 new patient", rounds, Cases(
                    ("InsertOnePlainEf", () => inserts.InsertOnePlainEf().GetAwaiter().GetResult()),
                    ("InsertOneHipaaEncrypted", () => inserts.InsertOneHipaaEncrypted().GetAwaiter().GetResult())));
            }

            if (selected("Insert, 100 new patients"))
            {
                Measure("Insert, 100 new patients in one SaveChanges", rounds, Cases(
                    ("InsertHundredPlainEf", () => inserts.InsertHundredPlainEf().GetAwaiter().GetResult()),
                    ("InsertHundredHipaaEncrypted", () => inserts.InsertHundredHipaaEncrypted().GetAwaiter().GetResult())));
            }
        }
        finally
        {
            inserts.Cleanup();
        }
    }

    private static (string Name, Func<object> Run)[] Cases(params (string Name, Func<object> Run)[] cases) => cases;

    /// <summary>The first case is the baseline; the batch size is what the baseline does in about five milliseconds.</summary>
    private static void Measure(string group, int rounds, (string Name, Func<object> Run)[] cases)
    {
        var round = new double[cases.Length];
        var warmup = Stopwatch.StartNew();
        var batch = Calibrate(cases[0].Run);
        while (warmup.Elapsed < Warmup)
        {
            RunRound(cases, batch, round); // JIT tiers, query caches, key caches
        }

        batch = Calibrate(cases[0].Run);
        var perOp = cases.Select(_ => new List<double>()).ToArray();
        var ratios = cases.Select(_ => new List<double>()).ToArray();
        for (var r = 0; r < rounds; r++)
        {
            RunRound(cases, batch, round);
            for (var c = 0; c < cases.Length; c++)
            {
                perOp[c].Add(round[c]);
                ratios[c].Add(round[c] / round[0]);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"{group}: {rounds} rounds of {batch} operations per case, cases interleaved");
        Console.WriteLine();
        Console.WriteLine("| Method | Median per op | Ratio (median) | Ratio (p25–p75) |");
        Console.WriteLine("|---|---:|---:|---:|");
        for (var c = 0; c < cases.Length; c++)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {cases[c].Name} | {Format(Percentile(perOp[c], 0.5))} | {Percentile(ratios[c], 0.5):F2} | {Percentile(ratios[c], 0.25):F2}–{Percentile(ratios[c], 0.75):F2} |"));
        }
    }

    /// <summary>Runs each case for one batch, in order, and stores the time per operation of each.</summary>
    private static void RunRound((string Name, Func<object> Run)[] cases, int batch, double[] perOperation)
    {
        for (var c = 0; c < cases.Length; c++)
        {
            var run = cases[c].Run;
            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < batch; i++)
            {
                GC.KeepAlive(run());
            }

            perOperation[c] = stopwatch.Elapsed.TotalNanoseconds / batch;
        }
    }

    private static int Calibrate(Func<object> baseline)
    {
        var stopwatch = Stopwatch.StartNew();
        var count = 0;
        while (stopwatch.Elapsed < TimeSpan.FromMilliseconds(200))
        {
            GC.KeepAlive(baseline());
            count++;
        }

        return Math.Max(1, count / 40);
    }

    private static string Format(double nanoseconds) => nanoseconds >= 10_000
        ? string.Create(CultureInfo.InvariantCulture, $"{nanoseconds / 1000:F1} μs")
        : string.Create(CultureInfo.InvariantCulture, $"{nanoseconds:F0} ns");

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        var index = p * (sorted.Count - 1);
        var low = (int)Math.Floor(index);
        var high = (int)Math.Ceiling(index);
        return sorted[low] + ((sorted[high] - sorted[low]) * (index - low));
    }
}
