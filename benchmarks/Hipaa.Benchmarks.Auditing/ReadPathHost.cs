using System.Globalization;
using System.Text;
using Hipaa.Auditing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.Benchmarks.Auditing;

/// <summary>
/// The three applications of <c>--read-path</c> on one provider, each on its own database (seeded alike: 1,000 filler
/// patients in wards 2–99, and ward 1: 100 patients, one row each), wired through public APIs only:
/// <list type="bullet">
/// <item>plain EF Core: <see cref="ReadPathDb"/> without <c>UseHipaa</c> — the baseline of every ratio;</item>
/// <item>auditing alone: <c>AddHipaa().AddQueryAuditing().UseAuditStore(...)</c>, <see cref="ReadPathDb"/> with <c>UseHipaa(sp)</c>;</item>
/// <item>the full stack: <c>AddFieldEncryption().UseLocalDevelopmentKey(...).UseKeyStore(...)</c> + auditing +
/// <c>AddPolicyEnforcement()</c> (the default catalog), <see cref="SecureReadPathDb"/> (partial <c>[Encrypted]</c>
/// properties) with <c>UseHipaa(sp)</c>.</item>
/// </list>
/// Audit options are the defaults (<c>ReadAuditCommit.PerBatch</c>, <c>ReadAheadRows</c> 1,000, fail closed) except the
/// sealing interval, which the caller passes (1 s, the default, unless told otherwise). Every call uses a new context
/// and <c>AsNoTracking</c>; the audited ones read as a therapist whose care team holds every seeded patient, for
/// treatment, so the policy permits every read.
/// </summary>
public sealed class ReadPathHost : IDisposable
{
    public const int PageSize = 100;
    public const int PageWard = 1;
    private const int FillerPatients = 1_000;

    private readonly List<SqliteConnection> _keepAlive = [];
    private readonly List<string> _postgresDatabases = [];
    private readonly ServiceProvider _auditServices;
    private readonly ServiceProvider _fullServices;
    private readonly ServiceProvider _perPatientServices;
    private readonly string _directory;
    private readonly string _auditConnectionString;
    private readonly string _fullConnectionString;
    private readonly string _perPatientConnectionString;

    public ReadPathHost(BenchProvider provider, TimeSpan sealInterval)
    {
        Provider = provider;
        _directory = BenchPaths.NewRunDirectory();
        var plain = Store("plain");
        _auditConnectionString = Store("audit");
        _fullConnectionString = Store("full");
        _perPatientConnectionString = Store("perpatient");
        var keys = Store("keys");

        PlainOptions = Use(new DbContextOptionsBuilder<ReadPathDb>(), plain).Options;

        var audit = new ServiceCollection();
        audit.AddHipaa()
            .AddQueryAuditing(o => o.SealInterval = sealInterval)
            .UseAuditStore(o => Use(o, _auditConnectionString))
            .UseLocalDevelopmentCheckpointSigner(BenchHost.SignerPath);
        _auditServices = audit.BuildServiceProvider();
        AuditedOptions = Use(new DbContextOptionsBuilder<ReadPathDb>(), _auditConnectionString).UseHipaa(_auditServices).Options;

        // Diagnostic: auditing alone with ReadAuditCommit.PerPatient (one group commit before each patient's first entity).
        var perPatient = new ServiceCollection();
        perPatient.AddHipaa()
            .AddQueryAuditing(o =>
            {
                o.SealInterval = sealInterval;
                o.ReadAuditCommit = ReadAuditCommit.PerPatient;
            })
            .UseAuditStore(o => Use(o, _perPatientConnectionString))
            .UseLocalDevelopmentCheckpointSigner(BenchHost.SignerPath);
        _perPatientServices = perPatient.BuildServiceProvider();
        PerPatientOptions = Use(new DbContextOptionsBuilder<ReadPathDb>(), _perPatientConnectionString).UseHipaa(_perPatientServices).Options;

        var full = new ServiceCollection();
        full.AddHipaa()
            .AddFieldEncryption(o => o.KeyCacheLifetime = TimeSpan.FromHours(1)) // no key expires while a case runs
            .UseLocalDevelopmentKey(Path.Combine(_directory, "kek.bin"))
            .UseKeyStore(o => Use(o, keys))
            .AddQueryAuditing(o => o.SealInterval = sealInterval)
            .UseAuditStore(o => Use(o, _fullConnectionString))
            .UseLocalDevelopmentCheckpointSigner(BenchHost.SignerPath);
        full.AddHipaa().AddPolicyEnforcement();
        _fullServices = full.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        FullOptions = Use(new DbContextOptionsBuilder<SecureReadPathDb>(), _fullConnectionString).UseHipaa(_fullServices).Options;

        PageIds = [.. Enumerable.Range(0, PageSize).Select(i => PatientId(FillerPatients + i))];
        Reader = new AccessContext(
            new Hipaa.Policy.Actor("u-ther-1", [Hipaa.Policy.WellKnownRoles.Therapist], "practice", Enumerable.Range(0, FillerPatients + PageSize).Select(i => PatientId(i).ToString())),
            Hipaa.Policy.PurposeOfUse.Treatment)
        {
            ClientAddress = "10.0.0.34",
            RequestId = "bench-request",
            ClientApplication = "hipaa-benchmarks",
        };
        Seed();
    }

    public BenchProvider Provider { get; }

    public DbContextOptions<ReadPathDb> PlainOptions { get; }

    public DbContextOptions<ReadPathDb> AuditedOptions { get; }

    public DbContextOptions<SecureReadPathDb> FullOptions { get; }

    /// <summary>Gets the options of auditing alone with <c>ReadAuditCommit.PerPatient</c> (diagnostic).</summary>
    public DbContextOptions<ReadPathDb> PerPatientOptions { get; }

    /// <summary>Gets the ids of the 100 patients of ward 1 (the page); point queries read them.</summary>
    public Guid[] PageIds { get; }

    /// <summary>Gets who the audited cases read as: a therapist with every seeded patient in the care team, for treatment.</summary>
    public AccessContext Reader { get; }

    /// <summary>Gets the audit rows and group-commit transactions so far of auditing alone.</summary>
    public (long Records, long? Commits) AuditCounters => (Count(_auditConnectionString), BenchHost.WriterTransactionsOf(_auditServices));

    /// <summary>Gets the audit rows and group-commit transactions so far of auditing alone with <c>PerPatient</c>.</summary>
    public (long Records, long? Commits) PerPatientCounters => (Count(_perPatientConnectionString), BenchHost.WriterTransactionsOf(_perPatientServices));

    /// <summary>Gets the audit rows and group-commit transactions so far of the full stack.</summary>
    public (long Records, long? Commits) FullCounters => (Count(_fullConnectionString), BenchHost.WriterTransactionsOf(_fullServices));

    public static Guid PatientId(int i) => new($"00000000-0000-7000-8000-{i:D12}");

    public async Task<object> PlainPage()
    {
        await using var db = new ReadPathDb(PlainOptions);
        return await db.Patients.AsNoTracking().Where(p => p.Ward == PageWard).ToListAsync();
    }

    public async Task<object> AuditedPage()
    {
        using var access = AccessContext.Begin(Reader);
        await using var db = new ReadPathDb(AuditedOptions);
        return await db.Patients.AsNoTracking().Where(p => p.Ward == PageWard).ToListAsync();
    }

    /// <summary>Diagnostic: <see cref="AuditedPage"/> with <c>ReadAuditCommit.PerPatient</c> (100 group commits per page).</summary>
    public async Task<object> AuditedPagePerPatient()
    {
        using var access = AccessContext.Begin(Reader);
        await using var db = new ReadPathDb(PerPatientOptions);
        return await db.Patients.AsNoTracking().Where(p => p.Ward == PageWard).ToListAsync();
    }

    public async Task<object> PlainDto()
    {
        await using var db = new ReadPathDb(PlainOptions);
        return await db.Patients.AsNoTracking().Where(p => p.Ward == PageWard)
            .Select(p => new PatientDto { Id = p.Id, Name = p.Name, Ssn = p.Ssn, BirthDate = p.BirthDate, Phone = p.Phone }).ToListAsync();
    }

    public async Task<object> AuditedDto()
    {
        using var access = AccessContext.Begin(Reader);
        await using var db = new ReadPathDb(AuditedOptions);
        return await db.Patients.AsNoTracking().Where(p => p.Ward == PageWard)
            .Select(p => new PatientDto { Id = p.Id, Name = p.Name, Ssn = p.Ssn, BirthDate = p.BirthDate, Phone = p.Phone }).ToListAsync();
    }

    /// <summary>Diagnostic: the audited DTO page with one PHI field (and the id) instead of four.</summary>
    public async Task<object> AuditedDtoOneField()
    {
        using var access = AccessContext.Begin(Reader);
        await using var db = new ReadPathDb(AuditedOptions);
        return await db.Patients.AsNoTracking().Where(p => p.Ward == PageWard)
            .Select(p => new PatientDto { Id = p.Id, Name = p.Name }).ToListAsync();
    }

    /// <summary>
    /// Diagnostic, not a read: 100 records (one per page patient, as the audited page writes) appended through the public
    /// <see cref="IAuditSink"/> of the auditing-alone instance and awaited until committed — the group commit's share of
    /// the audited page, without the query.
    /// </summary>
    public async Task<object> AppendPageRecords()
    {
        var now = DateTimeOffset.UtcNow;
        var records = new AuditRecord[PageSize];
        for (var i = 0; i < records.Length; i++)
        {
            records[i] = new AuditRecord
            {
                RecordId = Guid.CreateVersion7(now),
                OccurredAt = now,
                ActorId = "u-ther-1",
                ActorRoles = ["Therapist"],
                PatientId = PageIds[i].ToString(),
                Action = AuditAction.Read,
                Entity = nameof(ReadPatient),
                Categories = ["Demographics"],
                PurposeOfUse = "TREAT",
                Outcome = AuditOutcome.Success,
            };
        }

        await _auditServices.GetRequiredService<IAuditSink>().AppendAsync(records);
        return records;
    }

    /// <summary>The full stack's page, query only: the encrypted values are not read (so, being partial, not decrypted).</summary>
    public async Task<object> FullPage()
    {
        using var access = AccessContext.Begin(Reader);
        await using var db = new SecureReadPathDb(FullOptions);
        return await db.Patients.AsNoTracking().Where(p => p.Ward == PageWard).ToListAsync();
    }

    /// <summary>The full stack's page, then every encrypted value of every row read (decrypted).</summary>
    public async Task<object> FullPageReadAll()
    {
        using var access = AccessContext.Begin(Reader);
        await using var db = new SecureReadPathDb(FullOptions);
        var page = await db.Patients.AsNoTracking().Where(p => p.Ward == PageWard).ToListAsync();
        foreach (var patient in page)
        {
            GC.KeepAlive(patient.Name);
            GC.KeepAlive(patient.Ssn);
            GC.KeepAlive(patient.BirthDate);
        }

        return page;
    }

    /// <summary>The full stack's DTO page: the projection returns the values, so they are decrypted.</summary>
    public async Task<object> FullDto()
    {
        using var access = AccessContext.Begin(Reader);
        await using var db = new SecureReadPathDb(FullOptions);
        return await db.Patients.AsNoTracking().Where(p => p.Ward == PageWard)
            .Select(p => new PatientDto { Id = p.Id, Name = p.Name, Ssn = p.Ssn, BirthDate = p.BirthDate, Phone = p.Phone }).ToListAsync();
    }

    public async Task<object> PlainPoint(Guid id)
    {
        await using var db = new ReadPathDb(PlainOptions);
        return await db.Patients.AsNoTracking().FirstAsync(p => p.Id == id);
    }

    /// <summary>Diagnostic: the point query through auditing alone (no encryption, no policy), to split the full stack's cost.</summary>
    public async Task<object> AuditedPoint(Guid id)
    {
        using var access = AccessContext.Begin(Reader);
        await using var db = new ReadPathDb(AuditedOptions);
        return await db.Patients.AsNoTracking().FirstAsync(p => p.Id == id);
    }

    /// <summary>The full stack's point query, query only (the encrypted values are not read).</summary>
    public async Task<object> FullPoint(Guid id)
    {
        using var access = AccessContext.Begin(Reader);
        await using var db = new SecureReadPathDb(FullOptions);
        return await db.Patients.AsNoTracking().FirstAsync(p => p.Id == id);
    }

    /// <summary>
    /// Runs every case once and checks what it returned and recorded: values as seeded, one audit record per patient read,
    /// ciphertext at rest, and that the policy is enforced (a therapist without these patients in the care team is refused).
    /// </summary>
    public async Task CheckAsync()
    {
        var expected = PageIds.Select(id => Expected(id).Name).Order(StringComparer.Ordinal).ToList();
        void Page(object result, string what)
        {
            var names = result switch
            {
                List<ReadPatient> rows => rows.ConvertAll(r => r.Name),
                List<SecurePatient> rows => rows.ConvertAll(r => r.Name),
                List<PatientDto> rows => rows.ConvertAll(r => r.Name),
                _ => throw new InvalidOperationException(what + ": unexpected result " + result.GetType()),
            };
            Check(names.Order(StringComparer.Ordinal).SequenceEqual(expected), what + ": the 100 patients of ward 1, as seeded");
        }

        Page(await PlainPage(), "plain page");
        Page(await PlainDto(), "plain DTO page");
        var audit = AuditCounters.Records;
        Page(await AuditedPage(), "audited page");
        Page(await AuditedDto(), "audited DTO page");
        Page(await AuditedDtoOneField(), "audited DTO page, one PHI field");
        var perPatientBefore = PerPatientCounters.Records;
        Page(await AuditedPagePerPatient(), "audited page, PerPatient");
        Check(PerPatientCounters.Records - perPatientBefore == PageSize, "auditing alone with PerPatient wrote one record per patient");
        Check(AuditCounters.Records - audit == 3 * PageSize, $"auditing alone wrote {AuditCounters.Records - audit} records for three pages, not {3 * PageSize}");

        var full = FullCounters.Records;
        Page(await FullPage(), "full-stack page");
        Page(await FullPageReadAll(), "full-stack page, values read");
        Page(await FullDto(), "full-stack DTO page");
        var point = (SecurePatient)await FullPoint(PageIds[7]);
        Check(point.Ssn == Expected(PageIds[7]).Ssn && point.BirthDate == Expected(PageIds[7]).BirthDate, "full-stack point query decrypts");
        Check(((ReadPatient)await PlainPoint(PageIds[7])).Ssn == Expected(PageIds[7]).Ssn, "plain point query");
        Check(FullCounters.Records - full == (3 * PageSize) + 1, $"the full stack wrote {FullCounters.Records - full} records for three pages and a point query, not {(3 * PageSize) + 1}");

        // At rest: the encrypted column does not hold the name.
        await using (var raw = new ReadPathDb(Use(new DbContextOptionsBuilder<ReadPathDb>(), _fullConnectionString).Options))
        {
            var connection = raw.Database.GetDbConnection();
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT \"Name\" FROM patients WHERE \"Ward\" = 1 LIMIT 1";
            var stored = await command.ExecuteScalarAsync();
            Check(stored is byte[] bytes && !Encoding.UTF8.GetString(bytes).Contains("Example-Lastname", StringComparison.Ordinal), "the full stack's Name column holds ciphertext");
        }

        // Enforcement is on: the same query by a therapist whose care team is empty is not given the values.
        var outsider = new AccessContext(new Hipaa.Policy.Actor("u-ther-2", [Hipaa.Policy.WellKnownRoles.Therapist], "practice"), Hipaa.Policy.PurposeOfUse.Treatment);
        bool refused;
        try
        {
            using var access = AccessContext.Begin(outsider);
            await using var db = new SecureReadPathDb(FullOptions);
            var rows = await db.Patients.AsNoTracking().Where(p => p.Ward == PageWard).ToListAsync();
            refused = rows.TrueForAll(r => r.Name != Expected(r.Id).Name);
        }
        catch (Hipaa.Policy.PhiAccessDeniedException)
        {
            refused = true;
        }

        Check(refused, "policy enforcement refuses a therapist outside the care team");

        // Diagnostic: how many entity instances EF Core materializes per row of each audited shape (an interceptor on a
        // copy of the audited options, used only here).
        var counter = new MaterializationCounter();
        var counted = Use(new DbContextOptionsBuilder<ReadPathDb>(), _auditConnectionString).UseHipaa(_auditServices).AddInterceptors(counter).Options;
        using (AccessContext.Begin(Reader))
        {
            async Task<string> PerRow(Func<ReadPathDb, Task<int>> query)
            {
                await using var db = new ReadPathDb(counted);
                counter.Count = 0;
                var rows = await query(db);
                return (counter.Count / (double)rows).ToString("F1", CultureInfo.InvariantCulture);
            }

            var entity = await PerRow(async db => (await db.Patients.AsNoTracking().Where(p => p.Ward == PageWard).ToListAsync()).Count);
            var dto = await PerRow(async db => (await db.Patients.AsNoTracking().Where(p => p.Ward == PageWard)
                .Select(p => new PatientDto { Id = p.Id, Name = p.Name, Ssn = p.Ssn, BirthDate = p.BirthDate, Phone = p.Phone }).ToListAsync()).Count);
            var one = await PerRow(async db => (await db.Patients.AsNoTracking().Where(p => p.Ward == PageWard)
                .Select(p => new PatientDto { Id = p.Id, Name = p.Name }).ToListAsync()).Count);
            MaterializationsPerRow = $"entities materialized per row, auditing alone: entity page {entity}, DTO of 4 PHI fields + id {dto}, DTO of 1 PHI field + id {one}";
        }
    }

    /// <summary>Gets what <see cref="CheckAsync"/> found: entity instances materialized per row of each audited shape.</summary>
    public string MaterializationsPerRow { get; private set; } = string.Empty;

    private sealed class MaterializationCounter : Microsoft.EntityFrameworkCore.Diagnostics.IMaterializationInterceptor
    {
        public int Count { get; set; }

        public object InitializedInstance(Microsoft.EntityFrameworkCore.Diagnostics.MaterializationInterceptionData materializationData, object entity)
        {
            Count++;
            return entity;
        }
    }

    public void Dispose()
    {
        _auditServices.Dispose();
        _perPatientServices.Dispose();
        _fullServices.Dispose();
        foreach (var connection in _keepAlive)
        {
            connection.Dispose();
        }

        SqliteConnection.ClearAllPools();
        foreach (var database in _postgresDatabases)
        {
            BenchPostgres.Drop(database);
        }

        Directory.Delete(_directory, recursive: true);
    }

    private static ReadPatient Expected(Guid id)
    {
        var i = int.Parse(id.ToString()[^12..], CultureInfo.InvariantCulture);
        return new ReadPatient
        {
            Id = id,
            Ward = i >= FillerPatients ? PageWard : 2 + (i % 98),
            Clinic = $"Clinic {i % 10}",
            Name = $"Patient {i:D4} Example-Lastname",
            Ssn = $"900-{i % 100:D2}-{i:D4}",
            BirthDate = new DateOnly(1950, 1, 1).AddDays(i * 17),
            Phone = $"555-01{i % 100:D2}",
        };
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("Read-path check failed: " + what);
        }
    }

    /// <summary>A fresh database: a shared-cache in-memory SQLite database kept alive by an open connection, or a PostgreSQL database.</summary>
    private string Store(string name)
    {
        if (Provider == BenchProvider.Sqlite)
        {
            var connectionString = $"Data Source=hipaa-readpath-{name}-{Guid.NewGuid():N};Mode=Memory;Cache=Shared";
            var keepAlive = new SqliteConnection(connectionString);
            keepAlive.Open();
            _keepAlive.Add(keepAlive);
            return connectionString;
        }

        var database = "hipaa_readpath_" + name;
        _postgresDatabases.Add(database);
        return BenchPostgres.Database(database, recreate: true);
    }

    private static DbContextOptionsBuilder<T> Use<T>(DbContextOptionsBuilder<T> options, string connectionString, BenchProvider provider)
        where T : DbContext => (DbContextOptionsBuilder<T>)Use((DbContextOptionsBuilder)options, connectionString, provider);

    private static DbContextOptionsBuilder Use(DbContextOptionsBuilder options, string connectionString, BenchProvider provider) => provider switch
    {
        BenchProvider.Sqlite => options.UseSqlite(connectionString).DangerouslyAllowPhiWithoutHipaa(), // the plain baselines map the same PHI entities
        BenchProvider.Postgres => options.UseNpgsql(connectionString).DangerouslyAllowPhiWithoutHipaa(),
        _ => throw new ArgumentOutOfRangeException(nameof(provider)),
    };

    private DbContextOptionsBuilder<T> Use<T>(DbContextOptionsBuilder<T> options, string connectionString)
        where T : DbContext => Use(options, connectionString, Provider);

    private DbContextOptionsBuilder Use(DbContextOptionsBuilder options, string connectionString) => Use(options, connectionString, Provider);

    private long Count(string connectionString)
    {
        using var db = new ReadPathDb(Use(new DbContextOptionsBuilder<ReadPathDb>(), connectionString).Options);
        var connection = db.Database.GetDbConnection();
        connection.Open();
        using var command = connection.CreateCommand();
        // Per patient: a row of several patients (patient_ids, joined by U+001F) counts once for each of them.
        var separator = Provider == BenchProvider.Sqlite ? "char(31)" : "chr(31)";
        command.CommandText = "SELECT COALESCE(SUM(CASE WHEN patient_ids = '' THEN 1 ELSE LENGTH(patient_ids) - LENGTH(REPLACE(patient_ids, "
            + separator + ", '')) + 1 END), 0) FROM hipaa_audit";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Seeds the three databases alike. Plain and auditing-alone rows are written by plain EF Core; the full stack's through
    /// its own context (so the three properties are encrypted) by a front-desk user for treatment (front desk may write
    /// demographics; a therapist may only read them).
    /// </summary>
    private void Seed()
    {
        var rows = Enumerable.Range(0, FillerPatients + PageSize).Select(i => Expected(PatientId(i))).ToList();
        using (var db = new ReadPathDb(PlainOptions))
        {
            db.Database.EnsureCreated();
            db.Patients.AddRange(rows);
            db.SaveChanges();
        }

        using (var db = new ReadPathDb(AuditedOptions))
        {
            db.Database.EnsureCreated(); // the patients table and the audit tables
        }

        using (var db = new ReadPathDb(Use(new DbContextOptionsBuilder<ReadPathDb>(), _auditConnectionString).Options))
        {
            db.Patients.AddRange(rows.Select(r => Expected(r.Id)));
            db.SaveChanges();
        }

        using (var db = new ReadPathDb(PerPatientOptions))
        {
            db.Database.EnsureCreated();
        }

        using (var db = new ReadPathDb(Use(new DbContextOptionsBuilder<ReadPathDb>(), _perPatientConnectionString).Options))
        {
            db.Patients.AddRange(rows.Select(r => Expected(r.Id)));
            db.SaveChanges();
        }

        var frontDesk = new AccessContext(new Hipaa.Policy.Actor("u-front-1", [Hipaa.Policy.WellKnownRoles.FrontDesk], "practice"), Hipaa.Policy.PurposeOfUse.Treatment);
        using (AccessContext.Begin(frontDesk))
        using (var db = new SecureReadPathDb(FullOptions))
        {
            db.Database.EnsureCreated();
            db.Patients.AddRange(rows.Select(r => new SecurePatient
            {
                Id = r.Id,
                Ward = r.Ward,
                Clinic = r.Clinic,
                Name = r.Name,
                Ssn = r.Ssn,
                BirthDate = r.BirthDate,
                Phone = r.Phone,
            }));
            db.SaveChanges();
        }
    }
}
