using System.Data.Common;
using Hipaa.EfCore.Storage;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// The key table through EF Core, in the database <c>UseKeyStore(...)</c> names (the application's own or a separate
/// one). The table is created on first use if missing (and a table of an earlier version gets the columns added since);
/// every call uses a context of its own from a pool. State changes are compare-and-set on the key's revision.
/// </summary>
internal sealed class EfDataKeyStore(DbContextOptions<KeyStoreDbContext> options) : IDataKeyStore
{
    /// <summary>
    /// Contexts are reused (EF Core's pool resets each one): profiled with one new patient per SaveChanges, creating and
    /// initialising a context for each of the key store's calls cost more than the application's own insert.
    /// </summary>
    private readonly PooledDbContextFactory<KeyStoreDbContext> _contexts = new(options);

    // The hot lookups as compiled queries: no expression tree to build and no query-cache key to compute per call. Each
    // store compiles its own (EF Core refuses a compiled query over a second model, and each store has its own options).
    private readonly Func<KeyStoreDbContext, Guid, DataKeyRecord?> _find =
        EF.CompileQuery((KeyStoreDbContext c, Guid id) => c.Keys.AsNoTracking().FirstOrDefault(k => k.Id == id));

    private readonly Func<KeyStoreDbContext, Guid, CancellationToken, Task<DataKeyRecord?>> _findAsync =
        EF.CompileAsyncQuery((KeyStoreDbContext c, Guid id, CancellationToken _) => c.Keys.AsNoTracking().FirstOrDefault(k => k.Id == id));

    private readonly Func<KeyStoreDbContext, DataKeyKind, string, DataKeyRecord?> _findLatest =
        EF.CompileQuery((KeyStoreDbContext c, DataKeyKind kind, string scope) =>
            c.Keys.AsNoTracking().Where(k => k.Kind == kind && k.Scope == scope).OrderByDescending(k => k.Version).FirstOrDefault());

    private readonly Func<KeyStoreDbContext, DataKeyKind, string, CancellationToken, Task<DataKeyRecord?>> _findLatestAsync =
        EF.CompileAsyncQuery((KeyStoreDbContext c, DataKeyKind kind, string scope, CancellationToken _) =>
            c.Keys.AsNoTracking().Where(k => k.Kind == kind && k.Scope == scope).OrderByDescending(k => k.Version).FirstOrDefault());
    private readonly SemaphoreSlim _ensureLock = new(1, 1);
    private volatile bool _ensured;

    public DataKeyRecord? Find(Guid id)
    {
        using var context = Open();
        return _find(context, id);
    }

    public async Task<DataKeyRecord?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        var context = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var disposal = context.ConfigureAwait(false);
        return await _findAsync(context, id, cancellationToken).ConfigureAwait(false);
    }

    public DataKeyRecord? FindLatest(DataKeyKind kind, string scope)
    {
        using var context = Open();
        return _findLatest(context, kind, scope);
    }

    public async Task<DataKeyRecord?> FindLatestAsync(DataKeyKind kind, string scope, CancellationToken cancellationToken)
    {
        var context = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var disposal = context.ConfigureAwait(false);
        return await _findLatestAsync(context, kind, scope, cancellationToken).ConfigureAwait(false);
    }

    public IReadOnlyList<DataKeyRecord> FindLatestMany(DataKeyKind kind, IReadOnlyCollection<string> scopes)
    {
        using var context = Open();
        return Latest(context.Keys.AsNoTracking().Where(k => k.Kind == kind && scopes.Contains(k.Scope)).ToList());
    }

    public async Task<IReadOnlyList<DataKeyRecord>> FindLatestManyAsync(DataKeyKind kind, IReadOnlyCollection<string> scopes, CancellationToken cancellationToken)
    {
        var context = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var disposal = context.ConfigureAwait(false);
        return Latest(await context.Keys.AsNoTracking().Where(k => k.Kind == kind && scopes.Contains(k.Scope)).ToListAsync(cancellationToken).ConfigureAwait(false));
    }

    public bool TryInsertAll(IReadOnlyList<DataKeyRecord> records) =>
        TryInsertAllAsync(records, async: false, CancellationToken.None).GetAwaiter().GetResult();

    public Task<bool> TryInsertAllAsync(IReadOnlyList<DataKeyRecord> records, CancellationToken cancellationToken) =>
        TryInsertAllAsync(records, async: true, cancellationToken);

    public IReadOnlyList<DataKeyRecord> InsertFirstKeys(IReadOnlyList<DataKeyRecord> records) =>
        InsertFirstKeysAsync(records, async: false, CancellationToken.None).GetAwaiter().GetResult();

    public Task<IReadOnlyList<DataKeyRecord>> InsertFirstKeysAsync(IReadOnlyList<DataKeyRecord> records, CancellationToken cancellationToken) =>
        InsertFirstKeysAsync(records, async: true, cancellationToken);

    public DataKeyRecord? FindVersion(DataKeyKind kind, string scope, int version)
    {
        using var context = Open();
        return context.Keys.AsNoTracking().FirstOrDefault(k => k.Kind == kind && k.Scope == scope && k.Version == version);
    }

    public async Task<DataKeyRecord?> FindVersionAsync(DataKeyKind kind, string scope, int version, CancellationToken cancellationToken)
    {
        var context = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var disposal = context.ConfigureAwait(false);
        return await context.Keys.AsNoTracking().FirstOrDefaultAsync(k => k.Kind == kind && k.Scope == scope && k.Version == version, cancellationToken).ConfigureAwait(false);
    }

    public bool TryInsert(DataKeyRecord record) => TryInsertAll([record]);

    public Task<bool> TryInsertAsync(DataKeyRecord record, CancellationToken cancellationToken) => TryInsertAllAsync([record], cancellationToken);

    public bool TryReserveInvocations(Guid id, long count, long limit)
    {
        using var context = Open();
        var updated = context.Keys
            .Where(k => k.Id == id && k.State == DataKeyState.Active && k.InvocationsReserved + count <= limit)
            .ExecuteUpdate(s => s.SetProperty(k => k.InvocationsReserved, k => k.InvocationsReserved + count));
        return updated == 1;
    }

    public async Task<IReadOnlyList<DataKeyRecord>> ListAsync(DataKeyKind? kind, string? scope, CancellationToken cancellationToken)
    {
        var context = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var disposal = context.ConfigureAwait(false);
        var query = context.Keys.AsNoTracking();
        if (kind is { } k)
        {
            query = query.Where(r => r.Kind == k);
        }

        if (scope is not null)
        {
            query = query.Where(r => r.Scope == scope);
        }

        return await query.OrderBy(r => r.Scope).ThenBy(r => r.Version).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    public bool TryUpdate(DataKeyRecord record)
    {
        using var context = Open();
        return Updated(record, Changeable(context, record).ExecuteUpdate(s => SetState(s, record)));
    }

    public async Task<bool> TryUpdateAsync(DataKeyRecord record, CancellationToken cancellationToken)
    {
        var context = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var disposal = context.ConfigureAwait(false);
        return Updated(record, await Changeable(context, record).ExecuteUpdateAsync(s => SetState(s, record), cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The stored key, if nobody changed it since <paramref name="record"/> was read and its state would not go back.</summary>
    private static IQueryable<DataKeyRecord> Changeable(KeyStoreDbContext context, DataKeyRecord record)
    {
        var id = record.Id;
        var revision = record.Revision;
        var state = record.State;
        return context.Keys.Where(k => k.Id == id && k.Revision == revision && k.State <= state);
    }

    private static void SetState(UpdateSettersBuilder<DataKeyRecord> setters, DataKeyRecord record)
    {
        var next = record.Revision + 1;
        setters
            .SetProperty(k => k.State, record.State)
            .SetProperty(k => k.WrappedKey, record.WrappedKey)
            .SetProperty(k => k.WrappedBy, record.WrappedBy)
            .SetProperty(k => k.WrapAlgorithm, record.WrapAlgorithm)
            .SetProperty(k => k.RetiredAt, record.RetiredAt)
            .SetProperty(k => k.DestroyedAt, record.DestroyedAt)
            .SetProperty(k => k.Revision, next);
    }

    private static bool Updated(DataKeyRecord record, int rows)
    {
        if (rows != 1)
        {
            return false;
        }

        record.Revision++;
        return true;
    }

    /// <summary>
    /// Inserts every row in one transaction, or none (false when another writer stored one of the same kind, scope and
    /// version first); one row goes without an explicit transaction (one statement either way). The rows go through
    /// ADO.NET (<see cref="SqlRowInserter"/>), not change tracking: profiled with 100 new patients in one SaveChanges, EF
    /// Core's insert of their key rows cost twice the application's own insert of the patients.
    /// </summary>
    private async Task<bool> TryInsertAllAsync(IReadOnlyList<DataKeyRecord> records, bool async, CancellationToken cancellationToken)
    {
        var context = async ? await OpenAsync(cancellationToken).ConfigureAwait(false) : Open();
        await using var disposal = context.ConfigureAwait(false);
        try
        {
            if (records.Count == 1)
            {
                await OpenConnectionAsync(context, async, cancellationToken).ConfigureAwait(false);
                try
                {
                    await SqlRowInserter.InsertAsync(context, context.Database.GetDbConnection(), null, records, async, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    await CloseConnectionAsync(context, async).ConfigureAwait(false);
                }

                return true;
            }

            var transaction = async
                ? await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false)
                : context.Database.BeginTransaction();
            await using (transaction.ConfigureAwait(false))
            {
                await SqlRowInserter.InsertAsync(context, context.Database.GetDbConnection(), transaction.GetDbTransaction(), records, async, cancellationToken).ConfigureAwait(false);
                if (async)
                {
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    transaction.Commit();
                }
            }

            return true;
        }
        catch (DbException) when (records.Any(Exists))
        {
            return false;
        }
    }

    /// <summary>
    /// The first keys of new scopes, each inserted only where its kind and scope have no row (<see
    /// cref="SqlRowInserter.InsertWhereAbsentAsync"/>), in one transaction when there are several. Losing a race for one
    /// of the scopes (the unique index refuses the second first key) inserts none.
    /// </summary>
    private async Task<IReadOnlyList<DataKeyRecord>> InsertFirstKeysAsync(IReadOnlyList<DataKeyRecord> records, bool async, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return [];
        }

        if (records.Any(r => r.Version != 1))
        {
            throw new ArgumentException("Only first keys (version 1) are inserted where their scope has none.", nameof(records));
        }

        var context = async ? await OpenAsync(cancellationToken).ConfigureAwait(false) : Open();
        await using var disposal = context.ConfigureAwait(false);
        string[] absentWhenSame = [nameof(DataKeyRecord.Kind), nameof(DataKeyRecord.Scope)];
        try
        {
            IReadOnlyList<int> inserted;
            if (records.Count == 1)
            {
                await OpenConnectionAsync(context, async, cancellationToken).ConfigureAwait(false);
                try
                {
                    inserted = await SqlRowInserter.InsertWhereAbsentAsync(context, context.Database.GetDbConnection(), null, records, absentWhenSame, nameof(DataKeyRecord.Id), async, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    await CloseConnectionAsync(context, async).ConfigureAwait(false);
                }
            }
            else
            {
                var transaction = async
                    ? await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false)
                    : context.Database.BeginTransaction();
                await using (transaction.ConfigureAwait(false))
                {
                    inserted = await SqlRowInserter.InsertWhereAbsentAsync(context, context.Database.GetDbConnection(), transaction.GetDbTransaction(), records, absentWhenSame, nameof(DataKeyRecord.Id), async, cancellationToken).ConfigureAwait(false);
                    if (async)
                    {
                        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        transaction.Commit();
                    }
                }
            }

            return [.. inserted.Select(i => records[i])];
        }
        catch (DbException) when (records.Any(ScopeHasKeys))
        {
            return [];
        }
    }

    private static async Task OpenConnectionAsync(KeyStoreDbContext context, bool async, CancellationToken cancellationToken)
    {
        if (async)
        {
            await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            context.Database.OpenConnection();
        }
    }

    private static async Task CloseConnectionAsync(KeyStoreDbContext context, bool async)
    {
        if (async)
        {
            await context.Database.CloseConnectionAsync().ConfigureAwait(false);
        }
        else
        {
            context.Database.CloseConnection();
        }
    }

    private bool ScopeHasKeys(DataKeyRecord record)
    {
        using var context = Open();
        return context.Keys.AsNoTracking().Any(k => k.Kind == record.Kind && k.Scope == record.Scope);
    }

    private static List<DataKeyRecord> Latest(List<DataKeyRecord> records) =>
        [.. records.GroupBy(r => r.Scope, StringComparer.Ordinal).Select(g => g.MaxBy(r => r.Version)!)];

    private bool Exists(DataKeyRecord record)
    {
        using var context = Open();
        return context.Keys.AsNoTracking().Any(k => k.Kind == record.Kind && k.Scope == record.Scope && k.Version == record.Version);
    }

    /// <summary>Creates the key table if it is missing (as first use would) and reads from it: the start-up check.</summary>
    public async Task EnsureReadyAsync(CancellationToken cancellationToken)
    {
        KeyStoreDbContext context = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (context.ConfigureAwait(false))
        {
            _ = await context.Keys.AsNoTracking().AnyAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private KeyStoreDbContext Open()
    {
        var context = _contexts.CreateDbContext();
        if (!_ensured)
        {
            _ensureLock.Wait();
            try
            {
                EnsureTableAsync(context, async: false, CancellationToken.None).GetAwaiter().GetResult();
            }
            finally
            {
                _ensureLock.Release();
            }
        }

        return context;
    }

    private async Task<KeyStoreDbContext> OpenAsync(CancellationToken cancellationToken)
    {
        var context = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (!_ensured)
        {
            await _ensureLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await EnsureTableAsync(context, async: true, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _ensureLock.Release();
            }
        }

        return context;
    }

    private async Task EnsureTableAsync(KeyStoreDbContext context, bool async, CancellationToken cancellationToken)
    {
        if (_ensured)
        {
            return;
        }

        var creator = context.GetService<IRelationalDatabaseCreator>();
        if (!(async ? await creator.ExistsAsync(cancellationToken).ConfigureAwait(false) : creator.Exists()))
        {
            try
            {
                if (async)
                {
                    await creator.CreateAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    creator.Create();
                }
            }
            catch (Exception) when (creator.Exists())
            {
                // Another instance created the database first.
            }
        }

        if (await TableExistsAsync(context, async, cancellationToken).ConfigureAwait(false))
        {
            await AddMissingColumnsAsync(context, async, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            Exception? failure = null;
            try
            {
                if (async)
                {
                    await creator.CreateTablesAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    creator.CreateTables();
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                failure = exception;
            }

            // Another instance may have created the table first; anything else is a real failure.
            if (failure is not null && !await TableExistsAsync(context, async, cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException($"The key table '{KeyStoreDbContext.TableName}' could not be created in the key store database. Check the connection and permissions given to UseKeyStore(...).", failure);
            }
        }

        _ensured = true;
    }

    /// <summary>
    /// Brings a key table created by an earlier version up to date: adds <c>revision</c> (existing rows get 0, the
    /// revision of a key never changed since it was inserted) and <c>authenticator</c> (null: earlier versions only
    /// ever wrote intermediate key version 1, which needs none). Safe to run from several instances at once.
    /// </summary>
    private static async Task AddMissingColumnsAsync(KeyStoreDbContext context, bool async, CancellationToken cancellationToken)
    {
        var entity = context.Model.FindEntityType(typeof(DataKeyRecord))!;
        AddColumnOperation[] columns =
        [
            new()
            {
                Table = KeyStoreDbContext.TableName,
                Name = KeyStoreDbContext.RevisionColumn,
                ClrType = typeof(long),
                ColumnType = entity.FindProperty(nameof(DataKeyRecord.Revision))!.GetRelationalTypeMapping().StoreType,
                IsNullable = false,
                DefaultValue = 0L,
            },
            new()
            {
                Table = KeyStoreDbContext.TableName,
                Name = KeyStoreDbContext.AuthenticatorColumn,
                ClrType = typeof(byte[]),
                ColumnType = entity.FindProperty(nameof(DataKeyRecord.Authenticator))!.GetRelationalTypeMapping().StoreType,
                IsNullable = true,
            },
        ];
        foreach (var column in columns)
        {
            if (await ColumnExistsAsync(context, column.Name, async, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            Exception? failure = null;
            try
            {
                foreach (var command in context.GetService<IMigrationsSqlGenerator>().Generate([column]))
                {
                    if (async)
                    {
                        await context.Database.ExecuteSqlRawAsync(command.CommandText, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        context.Database.ExecuteSqlRaw(command.CommandText);
                    }
                }
            }
            catch (Exception exception) when (exception is System.Data.Common.DbException)
            {
                failure = exception;
            }

            // Another instance may have added it first; anything else is a real failure.
            if (failure is not null && !await ColumnExistsAsync(context, column.Name, async, cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException($"The key table '{KeyStoreDbContext.TableName}' was created by an earlier version and lacks column '{column.Name}', which could not be added. Give the key store's connection the right to alter the table, or add the column as docs/encryption.md describes.", failure);
            }
        }
    }

    private static async Task<bool> ColumnExistsAsync(KeyStoreDbContext context, string column, bool async, CancellationToken cancellationToken)
    {
        var sql = context.GetService<ISqlGenerationHelper>();
        var probe = $"SELECT {sql.DelimitIdentifier(column)} FROM {sql.DelimitIdentifier(KeyStoreDbContext.TableName)} WHERE 1 = 0";
        try
        {
            if (async)
            {
                await context.Database.ExecuteSqlRawAsync(probe, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                context.Database.ExecuteSqlRaw(probe);
            }

            return true;
        }
        catch (Exception exception) when (exception is System.Data.Common.DbException)
        {
            return false;
        }
    }

    private static async Task<bool> TableExistsAsync(KeyStoreDbContext context, bool async, CancellationToken cancellationToken)
    {
        try
        {
            _ = async
                ? await context.Keys.AsNoTracking().AnyAsync(cancellationToken).ConfigureAwait(false)
                : context.Keys.AsNoTracking().Any();
            return true;
        }
        catch (Exception exception) when (exception is System.Data.Common.DbException)
        {
            return false;
        }
    }
}
