using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using Hipaa.Auditing;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Hipaa.Benchmarks.Auditing;

/// <summary>
/// <c>AuditReports.WhoAccessedAsync</c> over 1,000,000 audit records of 10,000 patients (100 per patient, spread over one
/// year) on a SQLite file, each call for the next patient. Every call includes what the SDK does for it: the indexed query,
/// and the durable write of the report's own audit record (reading the trail is audited). The trail is seeded through
/// the public <see cref="IAuditSink"/> in batches of 10,000 and sealed by the instance's sealing loop before timing starts;
/// the seeded file is kept in the temp directory and reused by later runs (delete it to seed again).
/// </summary>
public class WhoAccessedBenchmarks : WhoAccessedBenchmarksBase
{
    protected override BenchProvider Provider => BenchProvider.Sqlite;
}

/// <summary>The same over PostgreSQL (the cluster of scripts/with-postgres.sh; HIPAA_TEST_POSTGRES).</summary>
public class WhoAccessedPostgresBenchmarks : WhoAccessedBenchmarksBase
{
    protected override BenchProvider Provider => BenchProvider.Postgres;
}

[MemoryDiagnoser]
[Config(typeof(LatencyConfig))]
public abstract class WhoAccessedBenchmarksBase
{
    public const int Records = 1_000_000;
    public const int Patients = 10_000;
    private const int SeedBatch = 10_000;
    private const string SeedName = "whoaccessed-1m-v1";

    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Step = TimeSpan.FromTicks(TimeSpan.FromDays(365).Ticks / Records);

    private BenchHost _host = null!;
    private IDisposable? _access;
    private int _next;

    protected abstract BenchProvider Provider { get; }

    [GlobalSetup]
    public void Setup()
    {
        string connectionString;
        bool seed;
        if (Provider == BenchProvider.Sqlite)
        {
            var path = Path.Combine(BenchPaths.Root, SeedName + ".db");
            connectionString = $"Data Source={path}";
            seed = !File.Exists(path) || !IsSeeded(new SqliteConnection(connectionString));
            if (seed)
            {
                BenchPaths.DeleteSqliteFiles(path);
            }
        }
        else
        {
            var name = "hipaa_bench_" + SeedName.Replace('-', '_');
            connectionString = BenchPostgres.Database(name, recreate: false);
            seed = !IsSeeded(new NpgsqlConnection(connectionString));
            if (seed)
            {
                connectionString = BenchPostgres.Database(name, recreate: true);
            }
        }

        _host = new BenchHost(Provider, connectionString);
        if (seed)
        {
            Seed();
        }

        WaitUntilSealed();
        _access = AccessContext.Begin(BenchActors.Oversight);
        var all = WhoAccessed_AllTime().GetAwaiter().GetResult();
        var window = WhoAccessed_30Days().GetAwaiter().GetResult();
        if (all.Count < Records / Patients || window.Count == 0)
        {
            throw new InvalidOperationException($"Benchmark setup check failed: {all.Count} records of all time, {window.Count} in 30 days.");
        }

        Console.WriteLine($"// Setup: {Provider}, {_host.CountAuditRows()} audit records, {all.Count} of one patient, {window.Count} in a 30-day window.");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _access?.Dispose();
        _host.Dispose();
    }

    /// <summary>Every record of the next patient (100 seeded, plus earlier reports about that patient).</summary>
    [Benchmark(Baseline = true)]
    public Task<IReadOnlyList<AuditRecord>> WhoAccessed_AllTime()
    {
        using var access = AccessContext.Begin(BenchActors.Oversight);
        return _host.Reports.WhoAccessedAsync(NextPatient());
    }

    /// <summary>The next patient's records in a 30-day window (about 8).</summary>
    [Benchmark]
    public Task<IReadOnlyList<AuditRecord>> WhoAccessed_30Days()
    {
        using var access = AccessContext.Begin(BenchActors.Oversight);
        var from = Start.AddDays(150);
        return _host.Reports.WhoAccessedAsync(NextPatient(), from, from.AddDays(30));
    }

    private string NextPatient() => PatientId((Interlocked.Increment(ref _next) * 7_919) % Patients);

    private static string PatientId(int n) => "patient-" + n.ToString("D5", CultureInfo.InvariantCulture);

    /// <summary>Whether an earlier run left the 1,000,000 seeded records in this database (ADO.NET; disposes the connection).</summary>
    private static bool IsSeeded(System.Data.Common.DbConnection connection)
    {
        using (connection)
        {
            try
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT COUNT(*) FROM hipaa_audit WHERE entity = 'ProgressNote'";
                return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) == Records;
            }
            catch (System.Data.Common.DbException)
            {
                return false; // no table yet
            }
        }
    }

    private void Seed()
    {
        var clock = Stopwatch.StartNew();
        _host.EnsureCreated();
        var sink = _host.Sink;
        string[] actors = [.. Enumerable.Range(0, 50).Select(i => "u-staff-" + i.ToString(CultureInfo.InvariantCulture))];
        for (var batch = 0; batch < Records / SeedBatch; batch++)
        {
            var records = new AuditRecord[SeedBatch];
            for (var r = 0; r < SeedBatch; r++)
            {
                var i = (batch * SeedBatch) + r;
                var at = Start + (Step * i);
                var action = (i % 50) switch
                {
                    0 => AuditAction.Update,
                    1 => AuditAction.Create,
                    2 => AuditAction.Disclose,
                    _ => AuditAction.Read,
                };
                records[r] = new AuditRecord
                {
                    RecordId = Guid.CreateVersion7(at),
                    OccurredAt = at,
                    ActorId = actors[i % actors.Length],
                    ActorRoles = ["Therapist"],
                    ClientApplication = "ehr-web",
                    PatientId = PatientId(i % Patients),
                    Action = action,
                    Entity = "ProgressNote",
                    Categories = ["ProgressNote"],
                    Labels = ["PSY"],
                    Fields = ["Text", "WrittenAt"],
                    PurposeOfUse = action == AuditAction.Disclose ? "HPAYMT" : "TREAT",
                    Outcome = AuditOutcome.Success,
                    ClientAddress = "10.0." + (i % 200).ToString(CultureInfo.InvariantCulture) + ".7",
                    RequestId = "req-" + i.ToString(CultureInfo.InvariantCulture),
                    Recipient = action == AuditAction.Disclose ? "Acme Health Plan" : null,
                    RecordKeys = [i.ToString(CultureInfo.InvariantCulture)],
                    QueryFingerprint = "6f1ed002ab5595859014ebf0951522d9a4a5c6f2f1f7f0a1b2c3d4e5f6a7b8c9",
                    RowCount = 1,
                };
            }

            sink.AppendAsync(records).GetAwaiter().GetResult();
            if (batch % 10 == 9)
            {
                Console.WriteLine($"// Seeding: {(batch + 1) * SeedBatch:N0} records in {clock.Elapsed.TotalSeconds:F0} s");
            }
        }

        Console.WriteLine($"// Seeded {Records:N0} records through IAuditSink in {clock.Elapsed.TotalSeconds:F0} s.");
    }

    /// <summary>Waits until the instance's sealing loop has sealed the seeded backlog, then (PostgreSQL) vacuums as autovacuum would.</summary>
    private void WaitUntilSealed()
    {
        var clock = Stopwatch.StartNew();
        long unsealed;
        while ((unsealed = _host.CountAuditRows("chain_position IS NULL")) > 100)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(30))
            {
                throw new TimeoutException($"{unsealed} records still unsealed after 30 minutes.");
            }

            Console.WriteLine($"// Waiting for the sealing loop: {unsealed:N0} unsealed ({clock.Elapsed.TotalSeconds:F0} s)");
            Thread.Sleep(TimeSpan.FromSeconds(10));
        }

        if (Provider == BenchProvider.Postgres)
        {
            _host.Execute("VACUUM ANALYZE hipaa_audit");
        }

        Console.WriteLine($"// Sealed (waited {clock.Elapsed.TotalSeconds:F0} s).");
    }
}
