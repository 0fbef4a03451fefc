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

        // New patient rows (keyed by their patient id): their first keys are inserted where their scopes have none, with
        // no lookup before — one round trip for the whole SaveChanges.
        string[] expected = async ? ["InsertFirstKeysAsync"] : ["InsertFirstKeys"];
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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SaveChanges_OneNewPatient_CostsTheKeyStoreOneRoundTrip(bool async)
    {
        var store = new CountingDataKeyStore(KeyStore());
        using var services = Services(Ring(store));
        await SaveNewPatientsAsync(services, 1, async);
        store.Reset();

        var patient = await SaveNewPatientsAsync(services, 1, async);

        Assert.Equal(async ? ["InsertFirstKeysAsync"] : ["InsertFirstKeys"], store.Calls);
        var key = Assert.Single(AllKeys(), k => k.Scope == KeyScopes.Patient(patient[0].ToString()));
        Assert.Equal((DataKeyState.Active, 1), (key.State, key.Version));
    }

    [Fact]
    public async Task SaveChanges_NotesForManyExistingPatientsOnAColdInstance_CostsOneBatchLookupAndCreatesNoKey()
    {
        using var writer = Services(Ring(KeyStore()));
        var patients = await SaveNewPatientsAsync(writer, 20, async: true);
        var keysBefore = AllKeys().Count;
        var store = new CountingDataKeyStore(KeyStore());
        using var cold = Services(Ring(store));

        await using (var context = cold.GetRequiredService<IDbContextFactory<ClinicDb>>().CreateDbContext())
        {
            foreach (var id in patients)
            {
                context.Add(new Note { Id = Guid.NewGuid(), PatientId = id, Text = "note of " + id });
            }

            await context.SaveChangesAsync();
        }

        // A note is not its patient: its patient's key is looked up (all twenty in one call) and found, none is created.
        Assert.Equal("FindLatestManyAsync", store.Calls[0]);
        Assert.DoesNotContain("FindLatestAsync", store.Calls);
        Assert.DoesNotContain(store.Calls, c => c.StartsWith("Insert", StringComparison.Ordinal) || c.StartsWith("TryInsert", StringComparison.Ordinal));
        Assert.Equal(keysBefore, AllKeys().Count);
    }

    [Fact]
    public async Task SaveChanges_ANewPatientRowWhoseScopeHasAKeyAlready_UsesThatKeyAndCreatesNoSecond()
    {
        var other = Ring(KeyStore());
        using var services = Services(Ring(KeyStore()));
        await SaveNewPatientsAsync(services, 1, async: true);
        var id = Guid.NewGuid();
        var existing = await other.GetEncryptionKeyAsync(KeyScopes.Patient(id.ToString()), CancellationToken.None);

        // The row is new; its patient id is not (another instance already keyed it, or the id comes from elsewhere).
        await SavePatientsAsync(services, [id], async: true);

        var key = Assert.Single(AllKeys(), k => k.Scope == KeyScopes.Patient(id.ToString()));
        Assert.Equal(existing.Id, key.Id);
        using var reader = new EncryptionHost(_database, _kek);
        await using var context = reader.CreateContext();
        Assert.Equal("ssn-" + id.ToString("N")[..8], (await context.Patients.AsNoTracking().SingleAsync(p => p.Id == id)).Ssn);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SaveChanges_ANewPatientRowReusingAShreddedPatientsId_IsRefusedAndNoKeyIsCreatedForIt(bool async)
    {
        using var services = Services(Ring(KeyStore()));
        var shredded = await SaveNewPatientsAsync(services, 1, async);
        await services.GetRequiredService<FieldEncryptionKeyManager>().ShredAsync(DataKeyScope.ForPatient(shredded[0]));
        await using (var context = services.GetRequiredService<IDbContextFactory<ClinicDb>>().CreateDbContext())
        {
            await context.Patients.Where(p => p.Id == shredded[0]).ExecuteDeleteAsync();
        }

        // Alone and in a batch of new patients: the shredded scope has (destroyed) keys, so no first key goes in.
        await Assert.ThrowsAsync<ShreddedScopeException>(() => SavePatientsAsync(services, [shredded[0]], async));
        await Assert.ThrowsAsync<ShreddedScopeException>(() => SavePatientsAsync(services, [Guid.NewGuid(), shredded[0], Guid.NewGuid()], async));

        var scope = KeyScopes.Patient(shredded[0].ToString());
        Assert.Contains(AllKeys(), k => k.Scope == scope);
        Assert.All(AllKeys().Where(k => k.Scope == scope), k => Assert.Equal(DataKeyState.Destroyed, k.State));
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
