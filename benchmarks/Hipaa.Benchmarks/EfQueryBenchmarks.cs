using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Hipaa.Encryption;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.Benchmarks;

/// <summary>
/// EF Core + SQLite in-memory: a point query by primary key and a 100-row query of <see cref="Patient"/>, whose three
/// [Encrypted] properties are decrypted at materialization (per-patient data keys, the default), against the same
/// entity read through a context without UseHipaa (plain columns). All queries are AsNoTracking, from a new context
/// per call (AddDbContextFactory), over a kept-open connection. The key store is a separate shared-cache in-memory
/// database, and every key is warm before timing starts: what is measured is the steady state of a running app.
/// Two more rows split the overhead: plain EF Core with a materialization interceptor that does nothing (EF's own cost
/// of materialization interception), and UseHipaa reading an entity type without [Encrypted] properties (the cost of
/// the interceptors UseHipaa registers, before anything is decrypted).
/// Two rows measure <see cref="DeferredPatient"/>, whose [Encrypted] properties are partial (decrypted on first read):
/// the query alone (…Deferred: what a screen pays that shows none of them), and the query followed by reading all three
/// properties of every row (…DeferredReadAll: the same work as eager decryption, done after the query).
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class EfQueryBenchmarks
{
    private const int PatientCount = 1_000;
    private const int PageSize = 100;

    private string _directory = string.Empty;
    private SqliteConnection _hipaaConnection = null!;
    private SqliteConnection _plainConnection = null!;
    private SqliteConnection _keyStoreKeepAlive = null!;
    private ServiceProvider _services = null!;
    private IDbContextFactory<HipaaClinicDb> _hipaa = null!;
    private IDbContextFactory<PlainClinicDb> _plain = null!;
    private IDbContextFactory<InterceptedClinicDb> _intercepted = null!;
    private Guid _pointId;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("hipaa-benchmarks-").FullName;
        _hipaaConnection = new SqliteConnection("Data Source=:memory:");
        _hipaaConnection.Open();
        _plainConnection = new SqliteConnection("Data Source=:memory:");
        _plainConnection.Open();

        // Keys live in their own database, so key lookups never contend with the queries' connection.
        var keyStore = $"Data Source=hipaa-benchmark-keys-{Guid.NewGuid():N};Mode=Memory;Cache=Shared";
        _keyStoreKeepAlive = new SqliteConnection(keyStore);
        _keyStoreKeepAlive.Open();

        var services = new ServiceCollection();
        services.AddHipaa()
            .AddFieldEncryption(o => o.KeyCacheLifetime = TimeSpan.FromHours(1)) // no key expires while a case runs
            .UseLocalDevelopmentKey(Path.Combine(_directory, "kek.bin"))
            .UseKeyStore(o => o.UseSqlite(keyStore));
        services.AddDbContextFactory<HipaaClinicDb>((sp, o) => o.UseSqlite(_hipaaConnection).UseHipaa(sp));
        services.AddDbContextFactory<PlainClinicDb>(o => o.UseSqlite(_plainConnection).DangerouslyAllowPhiWithoutHipaa()); // plain baseline: the same entities, no safeguards
        services.AddDbContextFactory<InterceptedClinicDb>(o => o.UseSqlite(_plainConnection).DangerouslyAllowPhiWithoutHipaa().AddInterceptors(NoOpMaterializationInterceptor.Instance));
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _hipaa = _services.GetRequiredService<IDbContextFactory<HipaaClinicDb>>();
        _plain = _services.GetRequiredService<IDbContextFactory<PlainClinicDb>>();
        _intercepted = _services.GetRequiredService<IDbContextFactory<InterceptedClinicDb>>();

        Seed();

        // First reads: unwrap every data key the timed queries need and compile the queries.
        _pointId = SeedId(PageSize / 2);
        var expectedPoint = SeedPatient(PageSize / 2);
        Verify(PointHipaaEncrypted().GetAwaiter().GetResult(), expectedPoint);
        Verify(PointPlainEf().GetAwaiter().GetResult(), expectedPoint);
        Verify(PointPlainEfNoOpInterceptor().GetAwaiter().GetResult(), expectedPoint);
        Verify(ToPatient(PointHipaaNoEncryptedProperties().GetAwaiter().GetResult()), expectedPoint);
        Verify(ToPatient(PointHipaaDeferred().GetAwaiter().GetResult()), expectedPoint);
        Verify(ToPatient(PointHipaaDeferredReadAll().GetAwaiter().GetResult()), expectedPoint);
        VerifyPage(PageHipaaEncrypted().GetAwaiter().GetResult());
        VerifyPage(PagePlainEf().GetAwaiter().GetResult());
        VerifyPage(PagePlainEfNoOpInterceptor().GetAwaiter().GetResult());
        VerifyPage(PageHipaaNoEncryptedProperties().GetAwaiter().GetResult().ConvertAll(ToPatient));
        VerifyPage(PageHipaaDeferred().GetAwaiter().GetResult().ConvertAll(ToPatient));
        VerifyPage(PageHipaaDeferredReadAll().GetAwaiter().GetResult().ConvertAll(ToPatient));
        VerifyStoredAsCiphertext();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _hipaaConnection.Dispose();
        _plainConnection.Dispose();
        _keyStoreKeepAlive.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Point query")]
    public async Task<Patient> PointPlainEf()
    {
        await using var db = _plain.CreateDbContext();
        return await db.Patients.AsNoTracking().SingleAsync(p => p.Id == _pointId);
    }

    [Benchmark]
    [BenchmarkCategory("Point query")]
    public async Task<Patient> PointPlainEfNoOpInterceptor()
    {
        await using var db = _intercepted.CreateDbContext();
        return await db.Patients.AsNoTracking().SingleAsync(p => p.Id == _pointId);
    }

    [Benchmark]
    [BenchmarkCategory("Point query")]
    public async Task<PlainPatient> PointHipaaNoEncryptedProperties()
    {
        await using var db = _hipaa.CreateDbContext();
        return await db.PlainPatients.AsNoTracking().SingleAsync(p => p.Id == _pointId);
    }

    [Benchmark]
    [BenchmarkCategory("Point query")]
    public async Task<Patient> PointHipaaEncrypted()
    {
        await using var db = _hipaa.CreateDbContext();
        return await db.Patients.AsNoTracking().SingleAsync(p => p.Id == _pointId);
    }

    [Benchmark]
    [BenchmarkCategory("Point query")]
    public async Task<DeferredPatient> PointHipaaDeferred()
    {
        await using var db = _hipaa.CreateDbContext();
        return await db.DeferredPatients.AsNoTracking().SingleAsync(p => p.Id == _pointId);
    }

    [Benchmark]
    [BenchmarkCategory("Point query")]
    public async Task<DeferredPatient> PointHipaaDeferredReadAll()
    {
        await using var db = _hipaa.CreateDbContext();
        var patient = await db.DeferredPatients.AsNoTracking().SingleAsync(p => p.Id == _pointId);
        ReadEncryptedProperties(patient);
        return patient;
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("100-row query")]
    public async Task<List<Patient>> PagePlainEf()
    {
        await using var db = _plain.CreateDbContext();
        return await db.Patients.AsNoTracking().OrderBy(p => p.Id).Take(PageSize).ToListAsync();
    }

    [Benchmark]
    [BenchmarkCategory("100-row query")]
    public async Task<List<Patient>> PagePlainEfNoOpInterceptor()
    {
        await using var db = _intercepted.CreateDbContext();
        return await db.Patients.AsNoTracking().OrderBy(p => p.Id).Take(PageSize).ToListAsync();
    }

    [Benchmark]
    [BenchmarkCategory("100-row query")]
    public async Task<List<PlainPatient>> PageHipaaNoEncryptedProperties()
    {
        await using var db = _hipaa.CreateDbContext();
        return await db.PlainPatients.AsNoTracking().OrderBy(p => p.Id).Take(PageSize).ToListAsync();
    }

    [Benchmark]
    [BenchmarkCategory("100-row query")]
    public async Task<List<Patient>> PageHipaaEncrypted()
    {
        await using var db = _hipaa.CreateDbContext();
        return await db.Patients.AsNoTracking().OrderBy(p => p.Id).Take(PageSize).ToListAsync();
    }

    [Benchmark]
    [BenchmarkCategory("100-row query")]
    public async Task<List<DeferredPatient>> PageHipaaDeferred()
    {
        await using var db = _hipaa.CreateDbContext();
        return await db.DeferredPatients.AsNoTracking().OrderBy(p => p.Id).Take(PageSize).ToListAsync();
    }

    [Benchmark]
    [BenchmarkCategory("100-row query")]
    public async Task<List<DeferredPatient>> PageHipaaDeferredReadAll()
    {
        await using var db = _hipaa.CreateDbContext();
        var page = await db.DeferredPatients.AsNoTracking().OrderBy(p => p.Id).Take(PageSize).ToListAsync();
        foreach (var patient in page)
        {
            ReadEncryptedProperties(patient);
        }

        return page;
    }

    /// <summary>Reads (and so decrypts) the three encrypted properties, keeping the JIT from dropping the reads.</summary>
    private static void ReadEncryptedProperties(DeferredPatient patient)
    {
        GC.KeepAlive(patient.Name);
        GC.KeepAlive(patient.Ssn);
        GC.KeepAlive(patient.BirthDate);
    }

    private static Guid SeedId(int i) => new($"00000000-0000-7000-8000-{i:D12}");

    private static Patient SeedPatient(int i) => new()
    {
        Id = SeedId(i),
        Clinic = $"Clinic {i % 10}",
        Name = $"Patient {i:D4} Example-Lastname",
        Ssn = $"900-{i % 100:D2}-{i:D4}",
        BirthDate = new DateOnly(1950, 1, 1).AddDays(i * 17),
    };

    private static Patient ToPatient(PlainPatient p) => new() { Id = p.Id, Clinic = p.Clinic, Name = p.Name, Ssn = p.Ssn, BirthDate = p.BirthDate };

    private static Patient ToPatient(DeferredPatient p) => new() { Id = p.Id, Clinic = p.Clinic, Name = p.Name, Ssn = p.Ssn, BirthDate = p.BirthDate };

    private void Seed()
    {
        using (var db = _plain.CreateDbContext())
        {
            db.Database.EnsureCreated();
            db.Patients.AddRange(Enumerable.Range(0, PatientCount).Select(SeedPatient));
            db.SaveChanges();
        }

        using (var db = _hipaa.CreateDbContext())
        {
            db.Database.EnsureCreated();
            db.Patients.AddRange(Enumerable.Range(0, PatientCount).Select(SeedPatient));
            db.PlainPatients.AddRange(Enumerable.Range(0, PatientCount).Select(i =>
            {
                var p = SeedPatient(i);
                return new PlainPatient { Id = p.Id, Clinic = p.Clinic, Name = p.Name, Ssn = p.Ssn, BirthDate = p.BirthDate };
            }));
            db.DeferredPatients.AddRange(Enumerable.Range(0, PatientCount).Select(i =>
            {
                var p = SeedPatient(i);
                return new DeferredPatient { Id = p.Id, Clinic = p.Clinic, Name = p.Name, Ssn = p.Ssn, BirthDate = p.BirthDate };
            }));
            db.SaveChanges();
        }
    }

    private static void Verify(Patient actual, Patient expected)
    {
        if (actual.Id != expected.Id || actual.Clinic != expected.Clinic || actual.Name != expected.Name || actual.Ssn != expected.Ssn || actual.BirthDate != expected.BirthDate)
        {
            throw new InvalidOperationException($"Patient {expected.Id} was not read back as written.");
        }
    }

    private static void VerifyPage(List<Patient> page)
    {
        if (page.Count != PageSize)
        {
            throw new InvalidOperationException($"The page query returned {page.Count} rows, not {PageSize}.");
        }

        for (var i = 0; i < page.Count; i++)
        {
            Verify(page[i], SeedPatient(i));
        }
    }

    /// <summary>Guards against measuring a misconfiguration: the encrypted columns must hold ciphertext, not the names.</summary>
    private void VerifyStoredAsCiphertext()
    {
        using var command = _hipaaConnection.CreateCommand();
        command.CommandText = "SELECT \"Name\", \"Ssn\", \"BirthDate\" FROM \"Patients\" LIMIT 1";
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw new InvalidOperationException("The UseHipaa context's Patients table is empty.");
        }

        for (var column = 0; column < 3; column++)
        {
            var stored = reader.GetFieldValue<byte[]>(column);
            if (!FieldCiphertext.LooksEncrypted(stored))
            {
                throw new InvalidOperationException($"Column {reader.GetName(column)} of the UseHipaa context's Patients table is not ciphertext.");
            }
        }
    }
}

/// <summary>A patient with three encrypted properties (plain columns when read by a context without UseHipaa).</summary>
public sealed class Patient
{
    [PatientId]
    public Guid Id { get; set; }

    public string Clinic { get; set; } = string.Empty;

    [Encrypted]
    public string Name { get; set; } = string.Empty;

    [Encrypted]
    public string Ssn { get; set; } = string.Empty;

    [Encrypted]
    public DateOnly BirthDate { get; set; }
}

/// <summary>The same shape with partial [Encrypted] properties: each is decrypted when it is first read.</summary>
public sealed partial class DeferredPatient
{
    [PatientId]
    public Guid Id { get; set; }

    public string Clinic { get; set; } = string.Empty;

    [Encrypted]
    public partial string Name { get; set; }

    [Encrypted]
    public partial string Ssn { get; set; }

    [Encrypted]
    public partial DateOnly BirthDate { get; set; }
}

/// <summary>The same shape without [Encrypted]: what UseHipaa costs an entity that has nothing to decrypt.</summary>
public sealed class PlainPatient
{
    [PatientId]
    public Guid Id { get; set; }

    public string Clinic { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    public string Ssn { get; set; } = string.Empty;

    public DateOnly BirthDate { get; set; }
}

public sealed class HipaaClinicDb(DbContextOptions<HipaaClinicDb> options) : DbContext(options)
{
    public DbSet<Patient> Patients => Set<Patient>();

    public DbSet<PlainPatient> PlainPatients => Set<PlainPatient>();

    public DbSet<DeferredPatient> DeferredPatients => Set<DeferredPatient>();
}

public sealed class PlainClinicDb(DbContextOptions<PlainClinicDb> options) : DbContext(options)
{
    public DbSet<Patient> Patients => Set<Patient>();
}

/// <summary>Plain EF Core plus an interceptor that does nothing: the cost of EF's materialization interception alone.</summary>
public sealed class InterceptedClinicDb(DbContextOptions<InterceptedClinicDb> options) : DbContext(options)
{
    public DbSet<Patient> Patients => Set<Patient>();
}

internal sealed class NoOpMaterializationInterceptor : Microsoft.EntityFrameworkCore.Diagnostics.IMaterializationInterceptor
{
    public static NoOpMaterializationInterceptor Instance { get; } = new();

    public object InitializedInstance(Microsoft.EntityFrameworkCore.Diagnostics.MaterializationInterceptionData materializationData, object entity) => entity;
}
