using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Linq.Expressions;
using System.Text;
using Hipaa.EfCore.Storage.Dialects;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// Writes the group-commit writer's batches of audit rows with ADO.NET on one connection it keeps open (opened through an
/// <see cref="AuditDbContext"/> of the audit store's options, so the store's connection interceptors apply). Each batch is
/// committed before <see cref="WriteAsync"/> returns: one multi-row INSERT in autocommit when it fits one statement, else
/// several in one transaction. The commands are prepared once per row count and kept; parameters are made by EF Core's
/// type mappings of the audit model, so values are stored exactly as <c>SaveChanges</c> would store them. After a failure
/// the connection is closed and the next batch opens a new one. Not thread-safe: only the writer's leader calls it.
/// </summary>
internal sealed class AuditBatchInserter(DbContextOptions<AuditDbContext> options) : IDisposable
{
    /// <summary>Row counts up to this one get a statement of their own; larger batches are cut into chunks.</summary>
    private const int ExactRowCounts = 16;

    /// <summary>
    /// The chunks larger batches are cut into (largest first); 256 rows are 6,912 parameters, far below PostgreSQL's limit.
    /// Those over the dialect's <see cref="DatabaseDialect.MaxParametersPerStatement"/> are left out (SQL Server: 64 rows and smaller).
    /// </summary>
    private static readonly int[] AllChunks = [256, 128, 64, 32];

    private int[] _chunks = AllChunks;

    /// <summary>On a SQLite database in WAL mode, the writer checkpoints itself every this many commits (see <see cref="OpenAsync"/>).</summary>
    private const int CommitsPerCheckpoint = 100;

    private bool _sqlite;
    private SemaphoreSlim? _gate;
    private DbCommand? _checkpoint;
    private int _commitsSinceCheckpoint;

    private readonly Dictionary<int, Insert> _inserts = [];
    private readonly List<string[]> _parameterNames = [];
    private Column[]? _columns;
    private string? _insertInto;
    private ISqlGenerationHelper? _sql;
    private AuditDbContext? _context;
    private DbConnection? _connection;
    private bool _disposed;

    /// <summary>Gets the number of batches committed (each in one transaction).</summary>
    public long Transactions { get; private set; }

    /// <summary>Gets the most rows committed in one transaction.</summary>
    public int LargestTransaction { get; private set; }

    /// <summary>Gets the number of connections opened (the first, and one after each failure).</summary>
    public int ConnectionsOpened { get; private set; }

    /// <summary>
    /// Commits <paramref name="rows"/> in one transaction, or throws. A failure on a connection left open by an earlier batch
    /// that closed the connection (a restarted server, a killed session) is retried once on a new connection: nothing of the
    /// batch was committed then, or, if its commit was lost in flight, the retry fails on the unique record id.
    /// </summary>
    public async Task WriteAsync(List<AuditEntry> rows, bool async)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var reused = _connection is not null;
        try
        {
            await WriteOnceAsync(rows, async).ConfigureAwait(false);
        }
        catch (DbException) when (reused && _connection is { State: not ConnectionState.Open })
        {
            Close();
            try
            {
                await WriteOnceAsync(rows, async).ConfigureAwait(false);
            }
            catch
            {
                Close();
                throw;
            }
        }
        catch
        {
            Close();
            throw;
        }
    }

    public void Dispose()
    {
        _disposed = true;
        Close();
    }

    private async Task WriteOnceAsync(List<AuditEntry> rows, bool async)
    {
        var connection = _connection ?? await OpenAsync(async).ConfigureAwait(false);
        if (!_sqlite)
        {
            await InsertAndCommitAsync(connection, rows, async).ConfigureAwait(false);
            return;
        }

        // SQLite: this process's sealer does not write at the same time (AuditStoreWriteGate).
        var gate = _gate ??= AuditStoreWriteGate.For(options);
        if (async)
        {
            await gate.WaitAsync().ConfigureAwait(false);
        }
        else
        {
            gate.Wait();
        }

        try
        {
            await InsertAndCommitAsync(connection, rows, async).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task InsertAndCommitAsync(DbConnection connection, List<AuditEntry> rows, bool async)
    {
        var first = ChunkOf(rows.Count, _sqlite, _chunks);
        if (first == rows.Count)
        {
            await InsertAsync(connection, null, rows, 0, first, async).ConfigureAwait(false);
        }
        else
        {
            var transaction = async
                ? await connection.BeginTransactionAsync().ConfigureAwait(false)
                : connection.BeginTransaction();
            await using (transaction.ConfigureAwait(false))
            {
                for (var offset = 0; offset < rows.Count;)
                {
                    var count = ChunkOf(rows.Count - offset, _sqlite, _chunks);
                    await InsertAsync(connection, transaction, rows, offset, count, async).ConfigureAwait(false);
                    offset += count;
                }

                if (async)
                {
                    await transaction.CommitAsync().ConfigureAwait(false);
                }
                else
                {
                    transaction.Commit();
                }
            }
        }

        Transactions++;
        LargestTransaction = Math.Max(LargestTransaction, rows.Count);
        if (_checkpoint is not null && ++_commitsSinceCheckpoint >= CommitsPerCheckpoint)
        {
            _commitsSinceCheckpoint = 0;
            try
            {
                // PASSIVE: copies what no reader still needs and never waits; the rows above are committed whatever it does.
                if (async)
                {
                    await _checkpoint.ExecuteNonQueryAsync().ConfigureAwait(false);
                }
                else
                {
                    _checkpoint.ExecuteNonQuery();
                }
            }
            catch (DbException)
            {
                // A checkpoint that cannot run now runs at the next one, or at SQLite's own on the application's commits.
            }
        }
    }

    /// <summary>
    /// Rows per statement. SQLite runs in-process (no round trip to save) and Microsoft.Data.Sqlite binds each parameter by
    /// name, a linear search in SQLite, so a statement of n parameters costs O(n²) to bind: measured, 100 rows as 64+32+4-row
    /// statements took 5.7 ms, longer than 100 one-row commits. There, one prepared one-row statement runs once per row.
    /// </summary>
    internal static int ChunkOf(int remaining, bool sqlite, int[] chunks)
    {
        if (sqlite)
        {
            return 1;
        }

        if (remaining <= ExactRowCounts)
        {
            return remaining;
        }

        foreach (var chunk in chunks)
        {
            if (chunk <= remaining)
            {
                return chunk;
            }
        }

        return ExactRowCounts;
    }

    /// <summary>The chunks whose statements carry at most <paramref name="maxParameters"/> parameters of <paramref name="columns"/> columns a row.</summary>
    internal static int[] ChunksUnder(int maxParameters, int columns) =>
        AllChunks.Where(c => c * columns <= maxParameters).ToArray() is { Length: > 0 } fitting ? fitting : [];

    /// <summary>The text of the multi-row INSERT of <paramref name="rows"/> audit rows on <paramref name="context"/>'s provider (tests parse it; nothing runs).</summary>
    internal static string InsertText(AuditDbContext context, int rows)
    {
        var inserter = new AuditBatchInserter(new DbContextOptions<AuditDbContext>());
        inserter.Describe(context);
        inserter._context = context;
        using var command = inserter.CommandFor(context.Database.GetDbConnection(), rows).Command;
        return command.CommandText;
    }

    /// <summary>Gets the chunk sizes this inserter cuts large batches into (after its first connection).</summary>
    internal IReadOnlyList<int> Chunks => _chunks;

    private async Task InsertAsync(DbConnection connection, DbTransaction? transaction, List<AuditEntry> rows, int offset, int count, bool async)
    {
        var columns = _columns!;
        var insert = CommandFor(connection, count);
        var command = insert.Command;
        command.Transaction = transaction;
        var parameters = command.Parameters;
        var fresh = parameters.Count == 0;
        for (var row = 0; row < count; row++)
        {
            var entry = rows[offset + row];
            var names = _parameterNames[row];
            for (var c = 0; c < columns.Length; c++)
            {
                var column = columns[c];
                if (fresh)
                {
                    parameters.Add(column.Mapping.CreateParameter(command, names[c], column.Read(entry), column.Nullable));
                }
                else
                {
                    // The parameters stay (a prepared Npgsql command keeps the ones it was prepared with), typed and sized
                    // by EF Core's mapping when they were made; each value goes through the mapping's converter, as
                    // RelationalTypeMapping.CreateParameter does, without a new parameter per value. (The SQLite and
                    // PostgreSQL mappings of these columns configure a parameter the same way whatever its value.)
                    parameters[(row * columns.Length) + c].Value = column.ToProvider(entry);
                }
            }
        }

        if (!insert.Prepared)
        {
            if (async)
            {
                await command.PrepareAsync().ConfigureAwait(false);
            }
            else
            {
                command.Prepare();
            }

            insert.Prepared = true;
        }

        if (async)
        {
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        else
        {
            command.ExecuteNonQuery();
        }
    }

    private Insert CommandFor(DbConnection connection, int count)
    {
        if (_inserts.TryGetValue(count, out var insert))
        {
            return insert;
        }

        var sql = _sql!;
        var columns = _columns!;
        while (_parameterNames.Count < count)
        {
            var row = _parameterNames.Count;
            _parameterNames.Add([.. columns.Select((_, c) => sql.GenerateParameterName(string.Create(CultureInfo.InvariantCulture, $"p{row}_{c}")))]);
        }

        var text = new StringBuilder(_insertInto);
        for (var row = 0; row < count; row++)
        {
            text.Append(row == 0 ? "(" : ", (");
            for (var c = 0; c < columns.Length; c++)
            {
                text.Append(c == 0 ? string.Empty : ", ")
                    .Append(sql.GenerateParameterNamePlaceholder(string.Create(CultureInfo.InvariantCulture, $"p{row}_{c}")));
            }

            text.Append(')');
        }

        var command = connection.CreateCommand();
        command.CommandText = text.ToString();
        if (_context!.Database.GetCommandTimeout() is { } timeout)
        {
            command.CommandTimeout = timeout;
        }

        insert = new Insert(command);
        _inserts.Add(count, insert);
        return insert;
    }

    private async Task<DbConnection> OpenAsync(bool async)
    {
        var context = new AuditDbContext(options);
        try
        {
            if (async)
            {
                await context.Database.OpenConnectionAsync().ConfigureAwait(false);
            }
            else
            {
                context.Database.OpenConnection();
            }

            var connection = context.Database.GetDbConnection();
            var dialect = DatabaseDialect.For(context, "The audit store");
            if (dialect.HasDatabaseWriteLock)
            {
                // Wait in SQLite's own busy handler while another connection (the application's SaveChanges, the
                // sealer) holds the write lock, rather than in Microsoft.Data.Sqlite's retry loop, which sleeps 150 ms.
                using var pragma = connection.CreateCommand();
                var seconds = context.Database.GetCommandTimeout() ?? pragma.CommandTimeout;
                if (seconds > 0)
                {
                    pragma.CommandText = dialect.BusyTimeoutStatement(seconds)!;
                    if (async)
                    {
                        await pragma.ExecuteNonQueryAsync().ConfigureAwait(false);
                    }
                    else
                    {
                        pragma.ExecuteNonQuery();
                    }
                }

                // An audited read commits its record while its own reader is still open. In WAL mode SQLite then cannot
                // reset the WAL, and once the WAL is past its automatic-checkpoint size every such commit runs a
                // checkpoint, which writes and fsyncs the database file: measured at ~0.5 ms per audited point query on a
                // file (also with synchronous=NORMAL). So this connection does not checkpoint on commit; it checkpoints
                // (PASSIVE) every CommitsPerCheckpoint commits instead. Only in WAL mode: on a shared-cache in-memory
                // database a checkpoint PRAGMA waits on the application's open readers.
                pragma.CommandText = dialect.JournalModeQuery!;
                var journal = async ? await pragma.ExecuteScalarAsync().ConfigureAwait(false) : pragma.ExecuteScalar();
                if (string.Equals(journal as string, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    pragma.CommandText = dialect.DisableAutomaticCheckpointsStatement!;
                    if (async)
                    {
                        await pragma.ExecuteNonQueryAsync().ConfigureAwait(false);
                    }
                    else
                    {
                        pragma.ExecuteNonQuery();
                    }

                    _checkpoint = connection.CreateCommand();
                    _checkpoint.CommandText = dialect.PassiveCheckpointStatement!;
                }

                _sqlite = true;
            }

            if (_columns is null)
            {
                Describe(context);
                _chunks = ChunksUnder(dialect.MaxParametersPerStatement, _columns!.Length);
            }

            _context = context;
            _connection = connection;
            ConnectionsOpened++;
            return connection;
        }
        catch
        {
            if (async)
            {
                await context.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                context.Dispose();
            }

            throw;
        }
    }

    private void Describe(AuditDbContext context)
    {
        var entityType = context.Model.FindEntityType(typeof(AuditEntry))
            ?? throw new InvalidOperationException("The audit table is not in the audit store's model.");
        var sql = context.GetService<ISqlGenerationHelper>();
        var properties = entityType.GetProperties().Where(p => !p.IsPrimaryKey()).ToList();
        _columns = [.. properties.Select(p => new Column(
            (RelationalTypeMapping)p.GetRelationalTypeMapping(),
            Getter(p.PropertyInfo ?? throw new InvalidOperationException($"The audit column {p.Name} has no CLR property.")),
            p.IsNullable))];
        _insertInto = new StringBuilder("INSERT INTO ")
            .Append(sql.DelimitIdentifier(entityType.GetTableName()!, entityType.GetSchema()))
            .Append(" (")
            .AppendJoin(", ", properties.Select(p => sql.DelimitIdentifier(p.GetColumnName())))
            .Append(") VALUES ")
            .ToString();
        _sql = sql;
    }

    private static Func<AuditEntry, object?> Getter(System.Reflection.PropertyInfo property)
    {
        var entry = Expression.Parameter(typeof(AuditEntry), "entry");
        return Expression.Lambda<Func<AuditEntry, object?>>(
            Expression.Convert(Expression.Property(entry, property), typeof(object)), entry).Compile();
    }

    /// <summary>Closes the connection and forgets its commands; the next batch opens a new one.</summary>
    private void Close()
    {
        foreach (var insert in _inserts.Values)
        {
            try
            {
                insert.Command.Dispose();
            }
            catch (Exception)
            {
                // A command of a broken connection may fail to release its statement; the connection is discarded anyway.
            }
        }

        _inserts.Clear();
        _checkpoint?.Dispose();
        _checkpoint = null;
        _commitsSinceCheckpoint = 0;
        try
        {
            _context?.Dispose();
        }
        catch (Exception)
        {
            // Closing a broken connection may throw; it is discarded either way.
        }

        _context = null;
        _connection = null;
    }

    private sealed record Column(RelationalTypeMapping Mapping, Func<AuditEntry, object?> Read, bool Nullable)
    {
        private readonly Func<object?, object?>? _convert = Mapping.Converter?.ConvertToProvider;

        /// <summary>The column's value of <paramref name="entry"/> as the provider receives it (converted; null as <see cref="DBNull"/>).</summary>
        public object ToProvider(AuditEntry entry)
        {
            var value = Read(entry);
            if (_convert is not null)
            {
                value = _convert(value);
            }

            return value ?? DBNull.Value;
        }
    }

    private sealed class Insert(DbCommand command)
    {
        public DbCommand Command { get; } = command;

        public bool Prepared { get; set; }
    }
}
