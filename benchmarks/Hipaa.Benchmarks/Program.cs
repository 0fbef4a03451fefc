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

// For a profiler (dotnet-trace collect -- <exe> --profile-insert [seconds] [plain]): 100 new patients per SaveChanges in a
// loop, through UseHipaa (or through plain EF Core with "plain").
if (args.Length > 0 && args[0] == "--profile-insert")
{
    var inserts = new EfInsertBenchmarks();
    inserts.Setup();
    var until = DateTime.UtcNow.AddSeconds(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 20);
    while (DateTime.UtcNow < until)
    {
        _ = args.Contains("plain") ? await inserts.InsertHundredPlainEf() : await inserts.InsertHundredHipaaEncrypted();
    }

    inserts.Cleanup();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(FieldCipherBenchmarks).Assembly).Run(args);
