using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Hipaa.Auditing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.Benchmarks.Auditing;

/// <summary>
/// Audited vs unaudited reads on SQLite. The baseline of each category is the same <see cref="NotesDb"/> built without
/// <c>UseHipaa</c> (plain EF Core); the audited case is <c>UseHipaa</c> with <c>AddQueryAuditing()</c> and default options
/// (fail closed, group commit, seal every second): each read returns only after its audit record (one per patient) has
/// been committed by the group-commit writer, on its own connection. Every call uses a new context and AsNoTracking.
/// <list type="bullet">
/// <item><c>Memory</c>: a shared-cache named in-memory database, kept alive by an open connection, which the
/// application's connections and the audit writer's connection all open by name.</item>
/// <item><c>File</c>: a database file as EF Core's <c>EnsureCreated</c> leaves it: WAL mode, and synchronous=FULL
/// (Microsoft.Data.Sqlite's default), so every audit commit is fsynced.</item>
/// <item><c>FileSyncNormal</c>: the same file with <c>PRAGMA synchronous=NORMAL</c> on every connection (a connection
/// interceptor on the application's and the audit store's options): commits are not fsynced; they survive a process crash
/// but the last ones can be lost on power loss. It shows what the fsync costs.</item>
/// (A rollback-journal file, <c>journal_mode=DELETE</c>, is not measured: there an audited read cannot complete — see
/// docs/benchmarks-audit.md.)
/// </list>
/// Categories: a point query by key (with two diagnostic rows: the audited context reading a table without PHI, and a
/// raw INSERT lower bound); 100 rows of one patient (one audit record); 100 rows of 100 patients (100 audit
/// records, one per patient); and 8 concurrent point queries (time per query), where group commit can batch records.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class AuditedQueryBenchmarks
{
    private const int FillerPatients = 1_000;
    private const int FillerNotesPerPatient = 10;
    private const int PageSize = 100;
    private const int Concurrency = 8;
    private const string OnePatient = "p-one";
    private const int WardId = 50;

    private string _directory = string.Empty;
    private SqliteConnection? _keepAlive;
    private BenchHost _host = null!;
    private BenchHost _perQueryHost = null!;
    private Guid _pointId;
    private Guid[] _concurrentIds = [];
    private SqliteConnection _rawConnection = null!;
    private SqliteCommand _rawInsert = null!;

    public enum SqliteStore
    {
        Memory,
        File,
        FileSyncNormal,
    }

    [Params(SqliteStore.Memory, SqliteStore.File, SqliteStore.FileSyncNormal)]
    public SqliteStore Store { get; set; }

    /// <summary>Gets or sets the sealing interval: the default (1 s) in every benchmark; <c>--latency</c> also runs 10 minutes.</summary>
    public TimeSpan SealInterval { get; set; } = TimeSpan.FromSeconds(1);

    [GlobalSetup]
    public void Setup()
    {
        _directory = BenchPaths.NewRunDirectory();
        string connectionString;
        if (Store == SqliteStore.Memory)
        {
            connectionString = $"Data Source=hipaa-bench-{Guid.NewGuid():N};Mode=Memory;Cache=Shared";
            _keepAlive = new SqliteConnection(connectionString);
            _keepAlive.Open();
        }
        else
        {
            connectionString = $"Data Source={Path.Combine(_directory, "notes.db")}";
        }

        _host = new BenchHost(BenchProvider.Sqlite, connectionString, o => o.SealInterval = SealInterval, interceptor: Store == SqliteStore.FileSyncNormal ? new SynchronousNormal() : null);
        _host.EnsureCreated();
        _perQueryHost = new BenchHost(BenchProvider.Sqlite, connectionString, o =>
        {
            o.SealInterval = SealInterval;
            o.ReadAuditCommit = ReadAuditCommit.PerQuery;
        }, interceptor: Store == SqliteStore.FileSyncNormal ? new SynchronousNormal() : null);

        Seed();
        PrepareRawInsert(connectionString);

        // First calls compile the queries; then check that the audited cases really wrote their records.
        var before = _host.CountAuditRows();
        Check(Point_PlainEf().GetAwaiter().GetResult().Id == _pointId, "plain point query");
        Check(Point_Audited().GetAwaiter().GetResult().Id == _pointId, "audited point query");
        Check(Point_Audited_NonPhiTable().GetAwaiter().GetResult().Id == WardId, "audited point query of a table without PHI");
        Check(Point_PlainEf_NonPhiTable().GetAwaiter().GetResult().Id == WardId, "plain point query of a table without PHI");
        Check(Page1Patient_PlainEf().GetAwaiter().GetResult().Count == PageSize, "plain 100 rows of one patient");
        Check(Page1Patient_Audited().GetAwaiter().GetResult().Count == PageSize, "audited 100 rows of one patient");
        Check(Page100Patients_PlainEf().GetAwaiter().GetResult().Count == PageSize, "plain 100 rows of 100 patients");
        Check(Page100Patients_Audited().GetAwaiter().GetResult().Count == PageSize, "audited 100 rows of 100 patients");
        Check(Page100Patients_AuditedPerQuery().GetAwaiter().GetResult().Count == PageSize, "audited (one commit per query) 100 rows of 100 patients");
        Point8_PlainEf().GetAwaiter().GetResult();
        Point8_Audited().GetAwaiter().GetResult();
        var written = _host.CountAuditRows() - before;
        Check(written == 1 + 1 + PageSize + PageSize + Concurrency, $"audit records written by the audited cases: expected {1 + 1 + PageSize + PageSize + Concurrency}, found {written}");
        Console.WriteLine($"// Setup: {Store}, journal_mode={_host.ScalarText("PRAGMA journal_mode")}, synchronous={_host.ScalarText("PRAGMA synchronous")}, {written} audit records written by the checks.");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _host.Dispose();
        _perQueryHost.Dispose();
        _rawInsert.Dispose();
        _rawConnection.Dispose();
        _keepAlive?.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [BenchmarkCategory("Point query"), Benchmark(Baseline = true)]
    public async Task<BenchNote> Point_PlainEf()
    {
        await using var db = _host.CreatePlain();
        return await db.Notes.AsNoTracking().FirstAsync(n => n.Id == _pointId);
    }

    [BenchmarkCategory("Point query"), Benchmark]
    public async Task<BenchNote> Point_Audited()
    {
        using var access = AccessContext.Begin(BenchActors.Therapist);
        await using var db = _host.CreateAudited();
        return await db.Notes.AsNoTracking().FirstAsync(n => n.Id == _pointId);
    }

    /// <summary>
    /// Diagnostic: a point query of a table without PHI through the audited context — every interceptor UseHipaa adds
    /// runs, nothing is recorded or waited for. The audited context's overhead before any audit record.
    /// </summary>
    [BenchmarkCategory("Point query"), Benchmark]
    public async Task<BenchWard> Point_Audited_NonPhiTable()
    {
        using var access = AccessContext.Begin(BenchActors.Therapist);
        await using var db = _host.CreateAudited();
        return await db.Wards.AsNoTracking().FirstAsync(w => w.Id == WardId);
    }

    /// <summary>The same query of the table without PHI, plain EF Core (to compare with <see cref="Point_Audited_NonPhiTable"/>).</summary>
    [BenchmarkCategory("Point query"), Benchmark]
    public async Task<BenchWard> Point_PlainEf_NonPhiTable()
    {
        await using var db = _host.CreatePlain();
        return await db.Wards.AsNoTracking().FirstAsync(w => w.Id == WardId);
    }

    /// <summary>
    /// Diagnostic lower bound, not the SDK: the plain point query, then one INSERT of a 23-column audit row (the columns
    /// of hipaa_audit, into a mirror table) with a prepared command on a connection kept open, committed before returning.
    /// What "the read returns only after its record is durable" costs without EF Core's SaveChanges and without a thread
    /// hand-off.
    /// </summary>
    [BenchmarkCategory("Point query"), Benchmark]
    public async Task<BenchNote> Point_PlainEf_ThenRawInsert()
    {
        BenchNote note;
        await using (var db = _host.CreatePlain())
        {
            note = await db.Notes.AsNoTracking().FirstAsync(n => n.Id == _pointId);
        }

        _rawInsert.Parameters[0].Value = Guid.CreateVersion7();
        _rawInsert.Parameters[1].Value = DateTimeOffset.UtcNow;
        _rawInsert.Parameters[2].Value = note.PatientId;
        await _rawInsert.ExecuteNonQueryAsync();
        return note;
    }

    [BenchmarkCategory("100 rows, 1 patient"), Benchmark(Baseline = true)]
    public async Task<List<BenchNote>> Page1Patient_PlainEf()
    {
        await using var db = _host.CreatePlain();
        return await db.Notes.AsNoTracking().Where(n => n.PatientId == OnePatient).ToListAsync();
    }

    [BenchmarkCategory("100 rows, 1 patient"), Benchmark]
    public async Task<List<BenchNote>> Page1Patient_Audited()
    {
        using var access = AccessContext.Begin(BenchActors.Therapist);
        await using var db = _host.CreateAudited();
        return await db.Notes.AsNoTracking().Where(n => n.PatientId == OnePatient).ToListAsync();
    }

    [BenchmarkCategory("100 rows, 100 patients"), Benchmark(Baseline = true)]
    public async Task<List<BenchNote>> Page100Patients_PlainEf()
    {
        await using var db = _host.CreatePlain();
        return await db.Notes.AsNoTracking().Where(n => n.Ward == 1).ToListAsync();
    }

    [BenchmarkCategory("100 rows, 100 patients"), Benchmark]
    public async Task<List<BenchNote>> Page100Patients_Audited()
    {
        using var access = AccessContext.Begin(BenchActors.Therapist);
        await using var db = _host.CreateAudited();
        return await db.Notes.AsNoTracking().Where(n => n.Ward == 1).ToListAsync();
    }

    /// <summary>The same query with <see cref="ReadAuditCommit.PerQuery"/>: its 100 records in one group commit.</summary>
    [BenchmarkCategory("100 rows, 100 patients"), Benchmark]
    public async Task<List<BenchNote>> Page100Patients_AuditedPerQuery()
    {
        using var access = AccessContext.Begin(BenchActors.Therapist);
        await using var db = _perQueryHost.CreateAudited();
        return await db.Notes.AsNoTracking().Where(n => n.Ward == 1).ToListAsync();
    }

    [BenchmarkCategory("Point query, 8 concurrent"), Benchmark(Baseline = true, OperationsPerInvoke = Concurrency)]
    public Task Point8_PlainEf() => Task.WhenAll(_concurrentIds.Select(id => Task.Run(async () =>
    {
        await using var db = _host.CreatePlain();
        return await db.Notes.AsNoTracking().FirstAsync(n => n.Id == id);
    })));

    [BenchmarkCategory("Point query, 8 concurrent"), Benchmark(OperationsPerInvoke = Concurrency)]
    public Task Point8_Audited() => Task.WhenAll(_concurrentIds.Select(id => Task.Run(async () =>
    {
        using var access = AccessContext.Begin(BenchActors.Therapist);
        await using var db = _host.CreateAudited();
        return await db.Notes.AsNoTracking().FirstAsync(n => n.Id == id);
    })));

    /// <summary>
    /// Not a benchmark (used by <c>--throughput</c>): one point query by key, plain EF Core or audited (as
    /// <see cref="Point_PlainEf"/> and <see cref="Point_Audited"/>), of the note <paramref name="caller"/> picks among
    /// the concurrent ones, each of another patient (so each audited query writes one record).
    /// </summary>
    public async Task PointQuery(int caller, bool audited, bool nonPhiTable = false)
    {
        var id = _concurrentIds[caller % _concurrentIds.Length];
        if (nonPhiTable)
        {
            using var access = AccessContext.Begin(BenchActors.Therapist);
            await using var db = audited ? _host.CreateAudited() : _host.CreatePlain();
            Check((await db.Wards.AsNoTracking().FirstAsync(w => w.Id == WardId)).Id == WardId, "point query of a table without PHI");
        }
        else if (audited)
        {
            using var access = AccessContext.Begin(BenchActors.Therapist);
            await using var db = _host.CreateAudited();
            Check((await db.Notes.AsNoTracking().FirstAsync(n => n.Id == id)).Id == id, "audited point query");
        }
        else
        {
            await using var db = _host.CreatePlain();
            Check((await db.Notes.AsNoTracking().FirstAsync(n => n.Id == id)).Id == id, "plain point query");
        }
    }

    /// <summary>Gets the audit host (used by <c>--throughput</c> to count records).</summary>
    public BenchHost Host => _host;

    /// <summary>Gets the size of the SQLite write-ahead log in bytes (0 when there is none); used by <c>--latency</c>.</summary>
    public long WalBytes => Store == SqliteStore.Memory ? 0 : new FileInfo(Path.Combine(_directory, "notes.db-wal")) is { Exists: true } wal ? wal.Length : 0;

    /// <summary>Gets the number of rows in hipaa_audit; used by <c>--latency</c>.</summary>
    public long AuditRows => _host.CountAuditRows();

    /// <summary>
    /// Not a benchmark (used by <c>--latency</c>): one record through the public <see cref="IAuditSink"/> of this instance,
    /// awaited until committed — the group-commit writer's cost for a lone record, without a query.
    /// </summary>
    public Task AppendOneRecord()
    {
        var now = DateTimeOffset.UtcNow;
        return _host.Sink.AppendAsync(
        [
            new AuditRecord
            {
                RecordId = Guid.CreateVersion7(now),
                OccurredAt = now,
                ActorId = "u-ther-1",
                ActorRoles = ["Therapist"],
                PatientId = OnePatient,
                Action = AuditAction.Read,
                Entity = "BenchNote",
                Categories = ["ProgressNote"],
                PurposeOfUse = "TREAT",
                Outcome = AuditOutcome.Success,
            },
        ]);
    }

    /// <summary>
    /// 10,000 filler notes (1,000 patients × 10, wards 2–99), 100 notes of patient <c>p-one</c> (ward 0) and ward 1: one note
    /// of each of 100 patients. Seeded through the plain context: seeding is not what is measured.
    /// </summary>
    private void Seed()
    {
        var random = new Random(42);
        var text = new string('x', 200);
        var start = new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);
        var notes = new List<BenchNote>();
        for (var patient = 0; patient < FillerPatients; patient++)
        {
            for (var i = 0; i < FillerNotesPerPatient; i++)
            {
                notes.Add(new BenchNote
                {
                    Id = Guid.NewGuid(),
                    PatientId = "p-" + patient.ToString("D4", CultureInfo.InvariantCulture),
                    Ward = random.Next(2, 100),
                    WrittenAt = start.AddMinutes(notes.Count),
                    Text = text,
                });
            }
        }

        for (var i = 0; i < PageSize; i++)
        {
            notes.Add(new BenchNote { Id = Guid.NewGuid(), PatientId = OnePatient, Ward = 0, WrittenAt = start.AddHours(i), Text = text });
            notes.Add(new BenchNote { Id = Guid.NewGuid(), PatientId = "w-" + i.ToString("D3", CultureInfo.InvariantCulture), Ward = 1, WrittenAt = start.AddHours(i), Text = text });
        }

        using (var db = _host.CreatePlain())
        {
            db.Notes.AddRange(notes);
            db.Wards.AddRange(Enumerable.Range(1, 100).Select(i => new BenchWard { Id = i, Name = "Ward " + i.ToString(CultureInfo.InvariantCulture) }));
            db.SaveChanges();
        }

        _pointId = notes[FillerPatients * FillerNotesPerPatient / 2].Id;
        _concurrentIds = [.. Enumerable.Range(0, Concurrency).Select(i => notes[i * 997].Id)];
    }

    /// <summary>The mirror table and the prepared INSERT of <see cref="Point_PlainEf_ThenRawInsert"/>.</summary>
    private void PrepareRawInsert(string connectionString)
    {
        _rawConnection = new SqliteConnection(connectionString);
        _rawConnection.Open();
        if (Store == SqliteStore.FileSyncNormal)
        {
            using var pragma = _rawConnection.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous=NORMAL";
            pragma.ExecuteNonQuery();
        }

        using (var mirror = new MirrorDb(new DbContextOptionsBuilder<MirrorDb>().UseSqlite(_rawConnection).DangerouslyAllowPhiWithoutHipaa().Options))
        {
            mirror.Database.ExecuteSqlRaw(mirror.Database.GenerateCreateScript());
        }

        _rawInsert = _rawConnection.CreateCommand();
        _rawInsert.CommandText =
            "INSERT INTO audit_mirror (record_id, occurred_at, patient_id, actor_id, actor_roles, client_application, action, entity, "
            + "categories, labels, fields, redacted_fields, purpose_of_use, outcome, client_address, request_id, record_keys, "
            + "query_fingerprint, row_count) VALUES ($id, $at, $patient, 'u-ther-1', 'Therapist', 'hipaa-benchmarks', 'Read', "
            + "'BenchNote', 'ProgressNote', '', 'IdPatientIdWardWrittenAtText', '', 'TREAT', 'Success', "
            + "'10.0.0.34', 'bench-request', '', '6f1ed002ab5595859014ebf0951522d9a4a5c6f2f1f7f0a1b2c3d4e5f6a7b8c9', 1)";
        _rawInsert.Parameters.Add("$id", SqliteType.Text);
        _rawInsert.Parameters.Add("$at", SqliteType.Text);
        _rawInsert.Parameters.Add("$patient", SqliteType.Text);
        _rawInsert.Prepare();
        Point_PlainEf_ThenRawInsert().GetAwaiter().GetResult();
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("Benchmark setup check failed: " + what);
        }
    }
}
