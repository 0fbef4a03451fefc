using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Hipaa.EfCore.Tests.Encryption;

/// <summary>
/// The keys of new patients are created in one batch inside the SaveChanges that needs them (issue 9, "new patients are
/// expensive"): a constant number of key-store round trips per SaveChanges, not three per patient — and two instances
/// creating the same patient's key still end up with one key, which both use. SQLite and PostgreSQL.
/// </summary>
public abstract class KeyCreationBatchingTests : IDisposable
{
    private readonly TestDatabase _database;
    private readonly CountingKeyEncryptionKey _kek = new("kek-batching");

    protected KeyCreationBatchingTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SaveChanges_ManyNewPatients_CostsTheKeyStoreTheSameRoundTripsWhateverTheirNumber(bool async)
    {
        var store = new CountingDataKeyStore(KeyStore());
        using var services = Services(Ring(store));
        await SaveNewPatientsAsync(services, 1, async); // the intermediate and index keys, created once per deployment
        store.Reset();

        var ten = await SaveNewPatientsAsync(services, 10, async);
        IReadOnlyList<string> forTen = store.Calls;
        store.Reset();
        var hundred = await SaveNewPatientsAsync(services, 100, async);
        IReadOnlyList<string> forHundred = store.Calls;

        string[] expected = async ? ["FindLatestManyAsync", "TryInsertAllAsync"] : ["FindLatestMany", "TryInsertAll"];
        Assert.Equal(expected, forTen);
        Assert.Equal(expected, forHundred);
        var keys = AllKeys().Where(k => k.Kind == DataKeyKind.Data).ToList();
        Assert.All(hundred.Concat(ten), id => Assert.Equal(DataKeyState.Active, Assert.Single(keys, k => k.Scope == KeyScopes.Patient(id.ToString())).State));
        Assert.All(keys, k => Assert.Equal(1L << 16, k.InvocationsReserved));

        // Written under those keys: a fresh instance reads every patient back.
        using var reader = new EncryptionHost(_database, _kek);
        await using var context = reader.CreateContext();
        var stored = await context.Patients.AsNoTracking().Where(p => hundred.Contains(p.Id)).ToListAsync();
        Assert.Equal(100, stored.Count);
        Assert.All(stored, p => Assert.Equal("ssn-" + p.Id.ToString("N")[..8], p.Ssn));
    }

    [Fact]
    public async Task SaveChanges_AnotherInstanceCreatesOnePatientsKeyBetweenTheBatchLookupAndItsInsert_BothUseTheOneKeyThatWon()
    {
        var paused = new PausingDataKeyStore(KeyStore());
        var other = Ring(KeyStore());
        using var services = Services(Ring(paused));
        await SaveNewPatientsAsync(services, 1, async: true);
        var patients = Enumerable.Range(0, 10).Select(_ => Guid.NewGuid()).ToList();

        // This instance has looked up the ten new patients' keys (none yet) and is held just before inserting them.
        var pause = paused.PauseNextInsertAll();
        var save = SavePatientsAsync(services, patients, async: true);
        await pause.Entered;
        var winner = await other.GetEncryptionKeyAsync(KeyScopes.Patient(patients[4].ToString()), CancellationToken.None);
        pause.Release();
        await save;

        var keys = AllKeys().Where(k => k.Scope == KeyScopes.Patient(patients[4].ToString())).ToList();
        Assert.Equal(winner.Id, Assert.Single(keys).Id);
        Assert.All(patients, id => Assert.Single(AllKeys(), k => k.Scope == KeyScopes.Patient(id.ToString())));
        Assert.Equal(winner.Id, (await other.GetEncryptionKeyAsync(KeyScopes.Patient(patients[4].ToString()), CancellationToken.None)).Id);
        using var reader = new EncryptionHost(_database, _kek);
        await using var context = reader.CreateContext();

        // Every value decrypts on a fresh instance, so each was encrypted under a key in the key table: patient 4's under
        // the winner's, the only key of its scope (a key that lost the insert would be unknown there).
        var stored = await context.Patients.AsNoTracking().Where(p => patients.Contains(p.Id)).ToListAsync();
        Assert.Equal(patients.Order(), stored.Select(p => p.Id).Order());
        Assert.All(stored, p => Assert.Equal("ssn-" + p.Id.ToString("N")[..8], p.Ssn));
    }

    [Fact]
    public async Task SaveChanges_NewPatientsBesideAShreddedOne_RefusesTheSaveAndCreatesNoKeyForTheShreddedPatient()
    {
        using var services = Services(Ring(KeyStore()));
        var shredded = await SaveNewPatientsAsync(services, 1, async: true);
        await services.GetRequiredService<FieldEncryptionKeyManager>().ShredAsync(DataKeyScope.ForPatient(shredded[0]));
        var patients = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).Append(shredded[0]).ToList();

        await using var context = services.GetRequiredService<IDbContextFactory<ClinicDb>>().CreateDbContext();
        foreach (var id in patients[..^1])
        {
            context.Add(new Patient { Id = id, DisplayName = "New", Ssn = "ssn" });
        }

        context.Add(new Note { Id = Guid.NewGuid(), PatientId = shredded[0], Text = "after the shred" });
        await Assert.ThrowsAsync<ShreddedScopeException>(() => context.SaveChangesAsync());

        var scope = KeyScopes.Patient(shredded[0].ToString());
        Assert.All(AllKeys().Where(k => k.Scope == scope), k => Assert.Equal(DataKeyState.Destroyed, k.State));
    }

    private async Task<List<Guid>> SaveNewPatientsAsync(ServiceProvider services, int count, bool async)
    {
        var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToList();
        await SavePatientsAsync(services, ids, async);
        return ids;
    }

    private static async Task SavePatientsAsync(ServiceProvider services, List<Guid> ids, bool async)
    {
        await using var context = services.GetRequiredService<IDbContextFactory<ClinicDb>>().CreateDbContext();
        foreach (var id in ids)
        {
            context.Add(new Patient { Id = id, DisplayName = "New", Ssn = "ssn-" + id.ToString("N")[..8], Mrn = "mrn-" + id.ToString("N") });
        }

        if (async)
        {
            await context.SaveChangesAsync();
        }
        else
        {
            context.SaveChanges();
        }
    }

    /// <summary>An application instance whose field encryption uses <paramref name="ring"/> (and so its key store).</summary>
    private ServiceProvider Services(KeyRing ring)
    {
        var services = new ServiceCollection();
        services.AddSingleton(sp => new FieldEncryptionRuntime(ring, sp.GetRequiredService<IOptions<FieldEncryptionOptions>>().Value));
        services.AddHipaa().AddFieldEncryption();
        services.AddDbContextFactory<ClinicDb>((sp, options) => _database.Use(options.UseHipaa(sp)));
        var provider = services.BuildServiceProvider();
        using var context = provider.GetRequiredService<IDbContextFactory<ClinicDb>>().CreateDbContext();
        context.Database.EnsureCreated();
        return provider;
    }

    private EfDataKeyStore KeyStore()
    {
        var options = new DbContextOptionsBuilder<KeyStoreDbContext>();
        _database.Use(options);
        return new EfDataKeyStore(options.Options);
    }

    private KeyRing Ring(IDataKeyStore store) =>
        new(store, _kek, null, new KeyRingSettings { KeyWrapAlgorithm = KeyWrapAlgorithm.AesGcmKeyWrap256 }, TimeProvider.System, NullLogger.Instance);

    private List<DataKeyRecord> AllKeys()
    {
        var options = new DbContextOptionsBuilder<KeyStoreDbContext>();
        _database.Use(options);
        using var table = new KeyStoreDbContext(options.Options);
        return [.. table.Keys.AsNoTracking()];
    }
}

public sealed class SqliteKeyCreationBatchingTests() : KeyCreationBatchingTests("sqlite");

public sealed class PostgresKeyCreationBatchingTests() : KeyCreationBatchingTests("postgres");
