using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Encryption;

/// <summary>
/// The key table's batch insert (<see cref="EfDataKeyStore.TryInsertAllAsync"/>) writes its rows through ADO.NET, not
/// change tracking: every column must come back exactly as SaveChanges would have stored it, a batch in which one row
/// collides with a stored one inserts nothing and says so, and any other failure is an exception, never "someone else won".
/// SQLite and PostgreSQL.
/// </summary>
public abstract class KeyStoreBatchInsertTests : IDisposable
{
    private readonly TestDatabase _database;
    private readonly string _provider;

    protected KeyStoreBatchInsertTests(string provider)
    {
        _provider = provider;
        _database = TestDatabase.Create(provider);
    }

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TryInsertAll_StoresEveryColumnAsSaveChangesWould(bool async)
    {
        var store = Store();
        var viaSaveChanges = Record("patient:saved", version: 3);
        Assert.True(await InsertAsync(store, [viaSaveChanges], async: true, viaEf: true));
        var batch = Enumerable.Range(0, 40).Select(i => Record($"patient:{i}", version: 1 + (i % 3), destroyed: i % 5 == 0)).ToList();

        Assert.True(await InsertAsync(store, batch, async));

        var stored = AllKeys();
        foreach (var expected in batch.Append(viaSaveChanges))
        {
            var actual = Assert.Single(stored, k => k.Id == expected.Id);
            Assert.Equivalent(expected, actual, strict: true);
        }

        // Read through the store's own queries (the ones the key ring uses), which filter and order on these columns.
        var latest = await store.FindLatestManyAsync(DataKeyKind.Data, [.. batch.Select(r => r.Scope)], CancellationToken.None);
        Assert.Equal(40, latest.Count);
        Assert.Equal(batch[7].WrappedKey, (await store.FindVersionAsync(DataKeyKind.Data, "patient:7", batch[7].Version, CancellationToken.None))!.WrappedKey);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TryInsertAll_OneRowCollidingWithAStoredKey_InsertsNoneAndReturnsFalse(bool async)
    {
        var store = Store();
        var winner = Record("patient:contested", version: 1);
        Assert.True(await InsertAsync(store, [winner], async));

        var batch = new List<DataKeyRecord> { Record("patient:first", 1), Record("patient:contested", 1), Record("patient:last", 1) };
        Assert.False(await InsertAsync(store, batch, async));

        var stored = AllKeys();
        Assert.Equal([winner.Id], stored.Select(k => k.Id));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TryInsertAll_AFailureThatIsNoCollision_Throws(bool async)
    {
        var store = Store();
        Assert.True(await InsertAsync(store, [Record("patient:one", 1)], async)); // creates the table
        var tooLong = Record("patient:" + new string('x', 600), 1); // the scope column holds 512 characters on PostgreSQL
        var duplicateId = Record("patient:two", 1);
        var sameId = Record("patient:three", 1);
        sameId.Id = duplicateId.Id; // a primary-key clash within the batch is a bug, not another writer's key

        var failure = await Xunit.Record.ExceptionAsync(() => InsertAsync(store, [duplicateId, sameId], async));
        Assert.IsAssignableFrom<System.Data.Common.DbException>(failure);
        Assert.DoesNotContain(AllKeys(), k => k.Scope is "patient:two" or "patient:three");
        if (_provider == "postgres")
        {
            Assert.IsAssignableFrom<System.Data.Common.DbException>(await Xunit.Record.ExceptionAsync(() => InsertAsync(store, [tooLong], async)));
        }
    }

    private static async Task<bool> InsertAsync(EfDataKeyStore store, IReadOnlyList<DataKeyRecord> records, bool async, bool viaEf = false)
    {
        if (viaEf)
        {
            return await store.TryInsertAsync(records[0], CancellationToken.None);
        }

        return async ? await store.TryInsertAllAsync(records, CancellationToken.None) : store.TryInsertAll(records);
    }

    private static DataKeyRecord Record(string scope, int version, bool destroyed = false) => new()
    {
        Id = Guid.NewGuid(),
        Kind = DataKeyKind.Data,
        Scope = scope,
        Version = version,
        State = destroyed ? DataKeyState.Destroyed : DataKeyState.Active,
        WrappedKey = destroyed ? null : System.Security.Cryptography.RandomNumberGenerator.GetBytes(60),
        WrappedBy = Guid.NewGuid().ToString(),
        WrapAlgorithm = "A256GCMKW",
        CreatedAt = new DateTimeOffset(2026, 12, 3, 15, 4, 5, 678, TimeSpan.Zero).AddTicks(10), // one microsecond: PostgreSQL keeps microseconds, SQLite all seven digits
        RetiredAt = destroyed ? new DateTimeOffset(2026, 12, 4, 1, 2, 3, TimeSpan.Zero) : null,
        DestroyedAt = destroyed ? new DateTimeOffset(2026, 12, 5, 1, 2, 3, TimeSpan.Zero) : null,
        InvocationsReserved = 1L << 40,
        Revision = 2,
        Authenticator = destroyed ? System.Security.Cryptography.RandomNumberGenerator.GetBytes(32) : null,
    };

    private EfDataKeyStore Store()
    {
        var options = new DbContextOptionsBuilder<KeyStoreDbContext>();
        _database.Use(options);
        return new EfDataKeyStore(options.Options);
    }

    private List<DataKeyRecord> AllKeys()
    {
        var options = new DbContextOptionsBuilder<KeyStoreDbContext>();
        _database.Use(options);
        using var table = new KeyStoreDbContext(options.Options);
        return [.. table.Keys.AsNoTracking()];
    }
}

public sealed class SqliteKeyStoreBatchInsertTests() : KeyStoreBatchInsertTests("sqlite");

public sealed class PostgresKeyStoreBatchInsertTests() : KeyStoreBatchInsertTests("postgres");
