using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Hipaa.Auditing;
using Npgsql;

namespace Hipaa.Benchmarks.Auditing;

/// <summary>
/// Audit append throughput of one application instance on PostgreSQL (the throwaway cluster of scripts/with-postgres.sh,
/// read from HIPAA_TEST_POSTGRES) with 1, 4 and 8 concurrent writers. One operation is one audit record, so Mean is the
/// time per record and the Records/s column is the instance's throughput, all writers together.
/// <list type="bullet">
/// <item><c>Sink_1PerCall</c>: each writer calls the public <see cref="IAuditSink"/>.AppendAsync with one record at a time and
/// waits for it to be committed (as a read's record is) — concurrent calls are batched by the group-commit writer.</item>
/// <item><c>Sink_10PerCall</c>: the same with ten records per call.</item>
/// <item><c>SaveChanges_Audited</c>: each writer inserts one note per audited <c>SaveChanges</c>; its audit record
/// commits in the same transaction as the note (one record per SaveChanges, no group commit: each is its own transaction).</item>
/// </list>
/// The instance's sealing loop runs as in production (every second), on the same 2 cores as PostgreSQL itself.
/// </summary>
public class AuditAppendThroughputBenchmarks : AuditAppendThroughputBenchmarksBase
{
    protected override TimeSpan SealInterval => TimeSpan.FromSeconds(1);
}

/// <summary>
/// Diagnostic: the same appends with the sealing loop effectively off (SealInterval 10 minutes, the longest allowed), to
/// separate the cost of appending from the cost of sealing on a shared 2-core machine. Not a supported configuration:
/// unsealed records are not tamper-evident.
/// </summary>
public class AuditAppendThroughputNoSealingBenchmarks : AuditAppendThroughputBenchmarksBase
{
    protected override TimeSpan SealInterval => TimeSpan.FromMinutes(10);
}

[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public abstract class AuditAppendThroughputBenchmarksBase
{
    /// <summary>Records per invocation: divisible by 1, 4 and 8 writers and by 10 records per call.</summary>
    private const int RecordsPerInvoke = 2_400;

    private readonly string _database = "hipaa_bench_append_" + Environment.ProcessId;
    private BenchHost _host = null!;
    private long _sequence;

    [Params(1, 4, 8)]
    public int Writers { get; set; }

    protected abstract TimeSpan SealInterval { get; }

    [GlobalSetup]
    public void Setup()
    {
        var connectionString = BenchPostgres.Database(_database, recreate: true);
        _host = new BenchHost(BenchProvider.Postgres, connectionString, o => o.SealInterval = SealInterval);
        _host.EnsureCreated();

        var before = _host.CountAuditRows();
        Sink_1PerCall().GetAwaiter().GetResult();
        Sink_10PerCall().GetAwaiter().GetResult();
        SaveChanges_Audited().GetAwaiter().GetResult();
        var written = _host.CountAuditRows() - before;
        if (written != 3 * RecordsPerInvoke)
        {
            throw new InvalidOperationException($"Benchmark setup check failed: expected {3 * RecordsPerInvoke} audit records, found {written}.");
        }

        Console.WriteLine($"// Setup: PostgreSQL {_host.ScalarText("SHOW server_version")}, fsync={_host.ScalarText("SHOW fsync")}, synchronous_commit={_host.ScalarText("SHOW synchronous_commit")}, {Writers} writer(s), SealInterval {SealInterval}.");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        var total = _host.CountAuditRows();
        var unsealed = _host.CountAuditRows("chain_position IS NULL");
        _host.Dispose();
        Console.WriteLine($"// Cleanup: {total} audit records, {unsealed} unsealed before the instance stopped.");
        BenchPostgres.Drop(_database);
    }

    [BenchmarkCategory("IAuditSink, 1 record per call"), Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public Task Sink_1PerCall() => RunWriters(async perWriter =>
    {
        var sink = _host.Sink;
        for (var i = 0; i < perWriter; i++)
        {
            await sink.AppendAsync([NewRecord()]);
        }
    });

    [BenchmarkCategory("IAuditSink, 10 records per call"), Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public Task Sink_10PerCall() => RunWriters(async perWriter =>
    {
        var sink = _host.Sink;
        for (var i = 0; i < perWriter; i += 10)
        {
            var records = new AuditRecord[10];
            for (var r = 0; r < records.Length; r++)
            {
                records[r] = NewRecord();
            }

            await sink.AppendAsync(records);
        }
    });

    [BenchmarkCategory("Audited SaveChanges, 1 note each"), Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public Task SaveChanges_Audited() => RunWriters(async perWriter =>
    {
        using var access = AccessContext.Begin(BenchActors.Therapist);
        for (var i = 0; i < perWriter; i++)
        {
            await using var db = _host.CreateAudited();
            var n = Interlocked.Increment(ref _sequence);
            db.Notes.Add(new BenchNote { Id = Guid.CreateVersion7(), PatientId = Patient(n), Ward = (int)(n % 100), WrittenAt = DateTimeOffset.UtcNow, Text = "Discussed relapse-prevention plan." });
            await db.SaveChangesAsync();
        }
    });

    private Task RunWriters(Func<int, Task> writer) =>
        Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(() => writer(RecordsPerInvoke / Writers))));

    private static string Patient(long n) => "patient-" + (n % 10_000).ToString("D5", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A read record as EF capture would write it: actor, roles, patient, fields, purpose, address, request, fingerprint.</summary>
    private AuditRecord NewRecord()
    {
        var n = Interlocked.Increment(ref _sequence);
        var now = DateTimeOffset.UtcNow;
        return new AuditRecord
        {
            RecordId = Guid.CreateVersion7(now),
            OccurredAt = now,
            ActorId = "u-ther-1",
            ActorRoles = ["Therapist"],
            ClientApplication = "hipaa-benchmarks",
            PatientId = Patient(n),
            Action = AuditAction.Read,
            Entity = "BenchNote",
            Categories = ["ProgressNote"],
            Fields = ["Id", "PatientId", "Ward", "WrittenAt", "Text"],
            PurposeOfUse = "TREAT",
            Outcome = AuditOutcome.Success,
            ClientAddress = "10.0.0.34",
            RequestId = "bench-request",
            QueryFingerprint = "6f1ed002ab5595859014ebf0951522d9a4a5c6f2f1f7f0a1b2c3d4e5f6a7b8c9",
            RowCount = 1,
        };
    }
}
