using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Hipaa.EfCore.Tests.Encryption;

/// <summary>
/// Unwrapped keys are zeroed when evicted or when the application's service provider is disposed, and a write racing an
/// eviction is never encrypted under a zeroed key (issue 9, finding 7). SQLite and PostgreSQL.
/// </summary>
public abstract class KeyZeroingTests : IDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
    private readonly TestDatabase _database;
    private readonly CountingKeyEncryptionKey _kek = new("kek-zeroing");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));

    protected KeyZeroingTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SaveChanges_KeyEvictedBetweenLookupAndUse_RetriesWithTheRealKeyAndTheValueDecrypts(bool async)
    {
        var store = new CountingDataKeyStore(KeyStore());
        var ring = new KeyRing(store, _kek, null, new KeyRingSettings { KeyWrapAlgorithm = KeyWrapAlgorithm.AesGcmKeyWrap256, CacheLifetime = Lifetime, KeyStateRecheckInterval = TimeSpan.FromSeconds(10) }, _time, NullLogger.Instance);
        using var services = Services(ring);
        var id = Guid.CreateVersion7();
        await using (var context = Contexts(services).CreateDbContext())
        {
            context.Add(new Patient { Id = id, DisplayName = "P", Ssn = "first", Mrn = "mrn-1" });
            await context.SaveChangesAsync();
        }

        var cached = ring.GetEncryptionKey(KeyScopes.Patient(id.ToString()));
        _time.Advance(Lifetime - TimeSpan.FromSeconds(5)); // still cached, but its state is due for a re-check
        await using (var context = Contexts(services).CreateDbContext())
        {
            var patient = await context.Patients.SingleAsync(p => p.Id == id);
            patient.Ssn = "second";

            // The re-check reads the key's row; while it does, the key's lifetime ends and the sweep evicts and zeroes it.
            // The state read then says "active", and the encryption gets a key that was zeroed after its lookup.
            var interleaved = false;
            store.AfterCall = member =>
            {
                if (member is "Find" or "FindAsync" && !interleaved)
                {
                    interleaved = true;
                    _time.Advance(TimeSpan.FromSeconds(10));
                }
            };
            if (async)
            {
                await context.SaveChangesAsync();
            }
            else
            {
                context.SaveChanges();
            }

            Assert.True(interleaved);
        }

        Assert.True(cached.IsEvicted);
        Assert.Equal(-1, cached.StorageForZeroingTests.IndexOfAnyExcept((byte)0));
        using var reader = new EncryptionHost(_database, _kek);
        await using var check = reader.CreateContext();
        Assert.Equal("second", (await check.Patients.AsNoTracking().SingleAsync(p => p.Id == id)).Ssn);
    }

    [Fact]
    public void DisposingTheServiceProvider_ZeroesEveryKeyTheApplicationUnwrapped()
    {
        var services = new ServiceCollection();
        services.AddHipaa().AddFieldEncryption().UseKeyEncryptionKey(_ => _kek, KeyWrapAlgorithm.AesGcmKeyWrap256).UseKeyStore(_database.Use);
        var provider = services.BuildServiceProvider();
        var ring = provider.GetRequiredService<FieldEncryptionRuntime>().KeyRing;
        var encryption = ring.GetEncryptionKey(KeyScopes.Patient("17"));
        DataKey[] keys = [encryption, ring.GetDecryptionKey(encryption.Id), ring.GetIndexKey("Patients", "Mrn")];
        Assert.All(keys, k => Assert.NotEqual(-1, k.StorageForZeroingTests.IndexOfAnyExcept((byte)0)));

        provider.Dispose();

        Assert.All(keys, k => Assert.Equal(-1, k.StorageForZeroingTests.IndexOfAnyExcept((byte)0)));
        Assert.Throws<ObjectDisposedException>(() => ring.GetEncryptionKey(KeyScopes.Patient("17")));
    }

    private static IDbContextFactory<ClinicDb> Contexts(ServiceProvider services) => services.GetRequiredService<IDbContextFactory<ClinicDb>>();

    /// <summary>An application instance whose field encryption uses <paramref name="ring"/> (and so its key store and clock).</summary>
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
}

public sealed class SqliteKeyZeroingTests() : KeyZeroingTests("sqlite");

public sealed class PostgresKeyZeroingTests() : KeyZeroingTests("postgres");
