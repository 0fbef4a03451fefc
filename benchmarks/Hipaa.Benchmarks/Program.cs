using System.Globalization;
using BenchmarkDotNet.Running;
using Hipaa.Benchmarks;

// Published run (docs/benchmarks.md):
//   dotnet run -c Release --project benchmarks/Hipaa.Benchmarks -- --filter '*' --launchCount 1 --warmupCount 3 --iterationCount 15
//   dotnet run -c Release --project benchmarks/Hipaa.Benchmarks -- --paired
// BenchmarkDotNet defaults (more iterations, slower):  ... -- --filter '*'
// Quick, for a CI smoke run:                           ... -- --filter '*' --job short
// Setup and round-trip checks only, no timing:         ... -- --filter '*' --job dry
// Ratios with the cases interleaved in one process (noisy, shared machines): ... -- --paired [rounds, default 200] [group]
//   where group selects the groups whose name contains it, e.g. "Decrypt", "Decrypt, 32 B" or "query".
if (args.Length > 0 && args[0] == "--paired")
{
    PairedRun.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200, args.Length > 2 ? args[2] : string.Empty);
    return;
}

// For a profiler (dotnet-trace collect -- <exe> --profile-insert [seconds] [plain|both] [one]): 100 new patients (1
// with "one") per SaveChanges in a loop, through UseHipaa (plain EF Core with "plain"; each UseHipaa call followed by a plain
// one with "both"); prints the call count.
if (args.Length > 0 && args[0] == "--profile-insert")
{
    var inserts = new EfInsertBenchmarks();
    inserts.Setup();
    var until = DateTime.UtcNow.AddSeconds(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 20);
    var calls = 0;
    var cpuAtStart = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
    var allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
    while (DateTime.UtcNow < until)
    {
        if (args.Contains("both"))
        {
            // Interleaved, for a profile in which load from other processes weighs on both sides alike.
            _ = args.Contains("one") ? await inserts.InsertOnePlainEf() : await inserts.InsertHundredPlainEf();
        }

        _ = (args.Contains("plain"), args.Contains("one")) switch
        {
            (true, true) => await inserts.InsertOnePlainEf(),
            (false, true) => await inserts.InsertOneHipaaEncrypted(),
            (true, false) => await inserts.InsertHundredPlainEf(),
            (false, false) => await inserts.InsertHundredHipaaEncrypted(),
        };
        calls++;
    }

    var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart;
    var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedAtStart;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{calls} SaveChanges of {(args.Contains("one") ? 1 : 100)} new patients; per SaveChanges: process CPU {cpu.TotalMicroseconds / calls:F0} µs, allocated {allocated / calls / 1024.0:F1} KiB"));

    inserts.Cleanup();
    return;
}

// The results table of benchmarks/README.md and benchmarks/results.svg from JSON reports (scripts/bench-report.sh):
//   ... -- --report RESULTS_DIR OUTPUT_DIR
if (args.Length > 0 && args[0] == "--report")
{
    if (args.Length != 3)
    {
        Console.Error.WriteLine("Usage: --report RESULTS_DIR OUTPUT_DIR (RESULTS_DIR holds BenchmarkDotNet's *-report*.json).");
        Environment.ExitCode = 2;
        return;
    }

    Environment.ExitCode = Hipaa.Benchmarks.ResultsReport.Run(args[1], args[2]);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(FieldCipherBenchmarks).Assembly).Run(args);
