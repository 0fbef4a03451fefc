using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.Benchmarks;

/// <summary>
/// Inserting new patients (issue 9, "new patients are expensive"): one new patient per SaveChanges, and 100 new patients
/// in one SaveChanges, each with three [Encrypted] properties under per-patient data keys (the default), so every
/// patient needs a data key that does not exist yet — created, wrapped by the intermediate key and stored in the key
/// table inside the SaveChanges. Against the same inserts through a context without UseHipaa (plain columns). EF Core +
/// SQLite in memory, a new context per call over a kept-open connection; the key store is a separate shared-cache
/// in-memory database, the intermediate key warm. The tables grow as the benchmark runs (every call inserts new rows),
/// the same way on both sides.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class EfInsertBenchmarks
{
    private const int BatchSize = 100;

    private string _directory = string.Empty;
    private SqliteConnection _hipaaConnection = null!;
    private SqliteConnection _plainConnection = null!;
    private SqliteConnection _keyStoreKeepAlive = null!;
    private ServiceProvider _services = null!;
    private IDbContextFactory<HipaaClinicDb> _hipaa = null!;
    private IDbContextFactory<PlainClinicDb> _plain = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("hipaa-benchmarks-").FullName;
        _hipaaConnection = new SqliteConnection("Data Source=:memory:");
        _hipaaConnection.Open();
        _plainConnection = new SqliteConnection("Data Source=:memory:");
        _plainConnection.Open();
        var keyStore = $"Data Source=hipaa-benchmark-keys-{Guid.NewGuid():N};Mode=Memory;Cache=Shared";
        _keyStoreKeepAlive = new SqliteConnection(keyStore);
        _keyStoreKeepAlive.Open();

        var services = new ServiceCollection();
        services.AddHipaa()
            .AddFieldEncryption(o => o.KeyCacheLifetime = TimeSpan.FromHours(1))
            .UseLocalDevelopmentKey(Path.Combine(_directory, "kek.bin"))
            .UseKeyStore(o => o.UseSqlite(keyStore));
        services.AddDbContextFactory<HipaaClinicDb>((sp, o) => o.UseSqlite(_hipaaConnection).UseHipaa(sp));
        services.AddDbContextFactory<PlainClinicDb>(o => o.UseSqlite(_plainConnection).DangerouslyAllowPhiWithoutHipaa());
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _hipaa = _services.GetRequiredService<IDbContextFactory<HipaaClinicDb>>();
        _plain = _services.GetRequiredService<IDbContextFactory<PlainClinicDb>>();
        using (var db = _hipaa.CreateDbContext())
        {
            db.Database.EnsureCreated();
        }

        using (var db = _plain.CreateDbContext())
        {
            db.Database.EnsureCreated();
        }

        // First inserts: the intermediate key, and EF Core's compiled update pipeline, before timing starts.
        InsertOnePlainEf().GetAwaiter().GetResult();
        InsertOneHipaaEncrypted().GetAwaiter().GetResult();
        InsertHundredPlainEf().GetAwaiter().GetResult();
        InsertHundredHipaaEncrypted().GetAwaiter().GetResult();
        VerifyWritten();
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
    [BenchmarkCategory("Insert, 1 new patient")]
    public async Task<int> InsertOnePlainEf()
    {
        await using var db = _plain.CreateDbContext();
        db.Patients.Add(NewPatient());
        return await db.SaveChangesAsync();
    }

    [Benchmark]
    [BenchmarkCategory("Insert, 1 new patient")]
    public async Task<int> InsertOneHipaaEncrypted()
    {
        await using var db = _hipaa.CreateDbContext();
        db.Patients.Add(NewPatient());
        return await db.SaveChangesAsync();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Insert, 100 new patients in one SaveChanges")]
    public async Task<int> InsertHundredPlainEf()
    {
        await using var db = _plain.CreateDbContext();
        for (var i = 0; i < BatchSize; i++)
        {
            db.Patients.Add(NewPatient());
        }

        return await db.SaveChangesAsync();
    }

    [Benchmark]
    [BenchmarkCategory("Insert, 100 new patients in one SaveChanges")]
    public async Task<int> InsertHundredHipaaEncrypted()
    {
        await using var db = _hipaa.CreateDbContext();
        for (var i = 0; i < BatchSize; i++)
        {
            db.Patients.Add(NewPatient());
        }

        return await db.SaveChangesAsync();
    }

    private static Patient NewPatient() => new()
    {
        Id = Guid.NewGuid(),
        Clinic = "North",
        Name = "Patient Example-Lastname",
        Ssn = "123-45-6789",
        BirthDate = new DateOnly(1980, 5, 17),
    };

    /// <summary>The encrypted inserts really are ciphertext under one data key per patient, and read back.</summary>
    private void VerifyWritten()
    {
        using var db = _hipaa.CreateDbContext();
        var patients = db.Patients.AsNoTracking().ToList();
        if (patients.Count != BatchSize + 1 || patients.Any(p => p.Ssn != "123-45-6789"))
        {
            throw new InvalidOperationException("The encrypted inserts were not read back as written.");
        }

        using var command = _hipaaConnection.CreateCommand();
        command.CommandText = "SELECT \"Ssn\" FROM \"Patients\"";
        using var reader = command.ExecuteReader();
        var keyIds = new HashSet<Guid>();
        while (reader.Read())
        {
            var stored = reader.GetFieldValue<byte[]>(0);
            keyIds.Add(Hipaa.Encryption.FieldCipher.ReadKeyId(stored, "Patient", "Ssn"));
        }

        if (keyIds.Count != BatchSize + 1)
        {
            throw new InvalidOperationException($"{BatchSize + 1} patients were written under {keyIds.Count} data keys; expected one key per patient.");
        }
    }
}
