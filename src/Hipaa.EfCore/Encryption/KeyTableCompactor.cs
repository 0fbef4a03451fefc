using System.Data.Common;
using System.Globalization;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// Rewrites the key table so that the wrapped keys a shred erased leave its files (issue 9, finding 7): an <c>UPDATE</c>
/// leaves the old row version — wrapped key included — behind as a dead tuple (PostgreSQL) or in a page's free space and
/// the write-ahead log (SQLite), until the table is rewritten.
/// </summary>
/// <remarks>
/// <para>
/// <b>PostgreSQL.</b> <c>VACUUM FULL</c> copies the row versions some transaction may still see into a new file, and the
/// old file is removed at the next checkpoint. A transaction (or snapshot) older than the newest shred can still see the
/// erased version, so <c>VACUUM FULL</c> would copy it too — silently. So would any snapshot taken while a transaction
/// that started writing before the shred is still running, in whatever database: it is in every new snapshot,
/// <c>VACUUM FULL</c>'s own included. So first the sessions, prepared transactions and replication slots that hold back
/// the removal horizon past the newest destruction are looked up (the destroyed rows' <c>xmin</c> is the transaction that
/// erased them; an older snapshot or transaction id has an <c>age()</c> at least as large); the rewrite runs only when
/// there are none, waiting for them to end up to the time given, and otherwise reports them. The rewrite needs an exclusive lock on the table: it gives up after <see cref="LockTimeout"/> instead of
/// queueing every key lookup behind it, and reports the sessions holding a lock.
/// </para>
/// <para>
/// <b>SQLite.</b> <c>VACUUM</c> rebuilds the key store's whole database file from its live content, and in WAL mode
/// <c>PRAGMA wal_checkpoint(TRUNCATE)</c> then empties the write-ahead log, which still holds the pages as they were. A
/// reader of an older snapshot keeps the log from being emptied (reported; SQLite cannot say which connection).
/// </para>
/// </remarks>
internal static class KeyTableCompactor
{
    /// <summary>How long the rewrite waits for the key table's exclusive lock before it gives up (key lookups queue behind it meanwhile).</summary>
    public static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(5);

    /// <summary>PostgreSQL's SQLSTATE for <c>lock_not_available</c> (what <c>lock_timeout</c> raises).</summary>
    private const string LockNotAvailable = "55P03";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public static async Task<KeyTableCompaction> CompactAsync(FieldEncryptionRuntime runtime, TimeProvider time, TimeSpan waitForOlderTransactions, CancellationToken cancellationToken)
    {
        if (runtime.KeyStoreOptions is not { } options)
        {
            return Report(runtime, new(KeyTableCompactionOutcome.NotSupported, [], "The key store is not the EF key store (UseKeyStore): its files are not the SDK's to compact. Nothing was done."));
        }

        var context = new KeyStoreDbContext(options);
        await using (context.ConfigureAwait(false))
        {
            var dialect = Storage.Dialects.DatabaseDialect.Find(context);
            if (dialect is not { CompactsKeyTable: true })
            {
                return Report(runtime, new(KeyTableCompactionOutcome.NotSupported, [], $"The key store's database is {context.Database.ProviderName}; CompactKeyTableAsync compacts PostgreSQL and SQLite key tables only. Nothing was done: use the database's own maintenance (docs/encryption.md, \"Physical erasure\")."));
            }

            var deadline = time.GetUtcNow() + waitForOlderTransactions;
            await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var connection = context.Database.GetDbConnection();
                var timeout = context.Database.GetCommandTimeout();
                var result = dialect is Storage.Dialects.PostgreSqlDialect
                    ? await CompactPostgresAsync(connection, timeout, time, deadline, cancellationToken).ConfigureAwait(false)
                    : await CompactSqliteAsync(connection, timeout, time, deadline, cancellationToken).ConfigureAwait(false);
                return Report(runtime, result);
            }
            finally
            {
                await context.Database.CloseConnectionAsync().ConfigureAwait(false);
            }
        }
    }

    private static KeyTableCompaction Report(FieldEncryptionRuntime runtime, KeyTableCompaction result)
    {
        if (result.Compacted)
        {
            FieldEncryptionLog.KeyTableCompacted(runtime.Logger, KeyStoreDbContext.TableName);
        }
        else
        {
            FieldEncryptionLog.KeyTableNotCompacted(runtime.Logger, KeyStoreDbContext.TableName, result.Outcome.ToString(), result.Blockers.Count);
        }

        return result;
    }

    private static async Task<KeyTableCompaction> CompactPostgresAsync(DbConnection connection, int? timeout, TimeProvider time, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var table = KeyStoreDbContext.TableName;
        if (await ScalarAsync(connection, timeout, "SELECT to_regclass(@table) IS NOT NULL", cancellationToken, ("@table", table)).ConfigureAwait(false) is not true)
        {
            return new(KeyTableCompactionOutcome.Compacted, [], $"The key table '{table}' does not exist yet: no key was ever stored, so none can remain.");
        }

        // VACUUM skips a table its role may not vacuum with a warning, not an error: refuse instead of reporting success.
        const string MayVacuum = """
            SELECT pg_has_role(current_user, c.relowner, 'USAGE')
                OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
                OR (current_setting('server_version_num')::int >= 170000 AND has_table_privilege(c.oid, 'MAINTAIN'))
            FROM pg_class c WHERE c.oid = to_regclass(@table)
            """;
        if (await ScalarAsync(connection, timeout, MayVacuum, cancellationToken, ("@table", table)).ConfigureAwait(false) is not true)
        {
            throw new InvalidOperationException(
                $"CompactKeyTableAsync runs VACUUM FULL on '{table}', which only the table's owner (the role that created it), a superuser, or on PostgreSQL 17 a role with the MAINTAIN privilege may run; the key store connects as another role. Nothing was done. Give the key store's role that right, or run 'VACUUM FULL {table}' as the owner (docs/encryption.md, \"Physical erasure\").");
        }

        while (true)
        {
            var blockers = await OlderTransactionsAsync(connection, timeout, cancellationToken).ConfigureAwait(false);
            if (blockers.Count == 0)
            {
                break;
            }

            var remaining = deadline - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return new(
                    KeyTableCompactionOutcome.BlockedByOlderTransactions,
                    blockers,
                    $"The key table was not compacted: {blockers.Count} transaction(s) or slot(s) older than the newest shred can still see the erased wrapped keys, and VACUUM FULL would keep them. End them (see Blockers) or give a longer wait, and call CompactKeyTableAsync again.");
            }

            await Task.Delay(remaining < PollInterval ? remaining : PollInterval, time, cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync(connection, timeout, $"SET lock_timeout = {(int)LockTimeout.TotalMilliseconds}", cancellationToken).ConfigureAwait(false);
        try
        {
            // VACUUM cannot run inside a transaction block: this connection has none.
            await ExecuteAsync(connection, timeout, $"VACUUM (FULL) \"{table}\"", cancellationToken).ConfigureAwait(false);
        }
        catch (DbException busy) when (busy.SqlState == LockNotAvailable)
        {
            var holders = await LockHoldersAsync(connection, timeout, cancellationToken).ConfigureAwait(false);
            return new(
                KeyTableCompactionOutcome.LockNotAcquired,
                holders,
                $"The key table was not compacted: VACUUM FULL could not lock '{table}' within {LockTimeout.TotalSeconds:0} s because {holders.Count} session(s) hold locks on it (see Blockers). Nothing was rewritten; call CompactKeyTableAsync again when they have ended their transactions.");
        }
        finally
        {
            await ExecuteAsync(connection, timeout, "RESET lock_timeout", CancellationToken.None).ConfigureAwait(false);
        }

        return new(KeyTableCompactionOutcome.Compacted, [], $"The key table '{table}' was rewritten with no older transaction open: the erased wrapped keys are no longer in its files (the old file is removed at the next checkpoint). WAL segments, archives, backups and replicas still hold them for their own retention.");
    }

    /// <summary>
    /// Sessions, prepared transactions and replication slots that keep row versions erased by the newest shred visible to
    /// the compaction: in the key store's database, a snapshot (<c>backend_xmin</c>) at least as old as the transaction that
    /// destroyed the most recently destroyed key; in <em>any</em> database, a transaction with an id (<c>backend_xid</c>, a
    /// prepared transaction) older than it — a running transaction is in every new snapshot, <c>VACUUM FULL</c>'s own
    /// included, so it holds the horizon back in every database; and replication slots.
    /// </summary>
    private static async Task<IReadOnlyList<KeyTableCompactionBlocker>> OlderTransactionsAsync(DbConnection connection, int? timeout, CancellationToken cancellationToken)
    {
        var sql = $"""
            WITH horizon AS (SELECT min(age(xmin)) AS age FROM "{KeyStoreDbContext.TableName}" WHERE state = {(int)DataKeyState.Destroyed})
            SELECT 0, a.pid::text, a.backend_type, a.application_name, a.state, a.xact_start, GREATEST(age(a.backend_xmin), age(a.backend_xid)), a.datname
            FROM pg_stat_activity a, horizon h
            WHERE h.age IS NOT NULL AND a.pid <> pg_backend_pid()
              AND (((a.datname = current_database() OR a.backend_type = 'walsender') AND age(a.backend_xmin) >= h.age)
                OR age(a.backend_xid) >= h.age)
            UNION ALL
            SELECT 1, p.gid, NULL, NULL, NULL, p.prepared, age(p.transaction), p.database
            FROM pg_prepared_xacts p, horizon h
            WHERE h.age IS NOT NULL AND age(p.transaction) >= h.age
            UNION ALL
            SELECT 2, s.slot_name::text, NULL, NULL, NULL, NULL, age(s.xmin), NULL
            FROM pg_replication_slots s, horizon h
            WHERE h.age IS NOT NULL AND s.xmin IS NOT NULL AND age(s.xmin) >= h.age
            """;
        var blockers = new List<KeyTableCompactionBlocker>();
        await foreach (var row in RowsAsync(connection, timeout, sql, cancellationToken).ConfigureAwait(false))
        {
            var kind = (KeyTableCompactionBlockerKind)Convert.ToInt32(row[0], CultureInfo.InvariantCulture);
            var name = (string)row[1]!;
            var started = AsTime(row[5]);
            var age = row[6] is null ? (long?)null : Convert.ToInt64(row[6], CultureInfo.InvariantCulture);
            var description = kind switch
            {
                KeyTableCompactionBlockerKind.Session =>
                    $"Session {name} ({Describe(row[7], row[2], row[3], row[4], started)}) has a transaction or snapshot older than the newest shred ({age} transactions old): end its transaction (commit or roll back; SELECT pg_terminate_backend({name}) as a last resort).",
                KeyTableCompactionBlockerKind.PreparedTransaction =>
                    $"Prepared transaction '{name}' (database '{row[7]}', prepared {Format(started)}) is older than the newest shred: COMMIT PREPARED or ROLLBACK PREPARED it.",
                _ =>
                    $"Replication slot '{name}' holds back the removal of old row versions (its xmin is {age} transactions old): let its standby catch up, or drop the slot (pg_drop_replication_slot).",
            };
            blockers.Add(new KeyTableCompactionBlocker(kind, name, description, started, age));
        }

        return blockers;
    }

    private static async Task<IReadOnlyList<KeyTableCompactionBlocker>> LockHoldersAsync(DbConnection connection, int? timeout, CancellationToken cancellationToken)
    {
        const string Sql = """
            SELECT l.pid::text, a.backend_type, a.application_name, a.state, a.xact_start, string_agg(l.mode, ', ')
            FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'relation' AND l.relation = to_regclass(@table) AND l.granted AND l.pid <> pg_backend_pid()
            GROUP BY l.pid, a.backend_type, a.application_name, a.state, a.xact_start
            """;
        var holders = new List<KeyTableCompactionBlocker>();
        await foreach (var row in RowsAsync(connection, timeout, Sql, cancellationToken, ("@table", KeyStoreDbContext.TableName)).ConfigureAwait(false))
        {
            var name = (string)row[0]!;
            var started = AsTime(row[4]);
            holders.Add(new KeyTableCompactionBlocker(
                KeyTableCompactionBlockerKind.LockHolder,
                name,
                $"Session {name} ({Describe(null, row[1], row[2], row[3], started)}) holds {row[5]} on {KeyStoreDbContext.TableName}: end its transaction.",
                started,
                null));
        }

        return holders;
    }

    private static async Task<KeyTableCompaction> CompactSqliteAsync(DbConnection connection, int? timeout, TimeProvider time, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var mode = (string?)await ScalarAsync(connection, timeout, "PRAGMA journal_mode", cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, timeout, "VACUUM", cancellationToken).ConfigureAwait(false);
        }
        catch (DbException busy) when (SqliteErrorCode(busy) is 5 or 6)
        {
            // SQLITE_BUSY, SQLITE_LOCKED: another connection writes, or (in rollback-journal mode) reads.
            return new(
                KeyTableCompactionOutcome.LockNotAcquired,
                [new KeyTableCompactionBlocker(KeyTableCompactionBlockerKind.LockHolder, "?", "Another connection to the key store's database holds a lock on it (SQLite does not say which): end its transaction.", null, null)],
                "The key store's database was not compacted: VACUUM could not lock it within the command timeout. Nothing was rewritten; call CompactKeyTableAsync again.");
        }

        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            return new(KeyTableCompactionOutcome.Compacted, [], "The key store's database was rebuilt from its live content (VACUUM): the erased wrapped keys are no longer in its file. Its rollback journal was deleted by SQLite; the file system's freed blocks and backups are not the SDK's to erase.");
        }

        while (true)
        {
            // busy = 1 when a reader of an older snapshot kept the log from being checkpointed completely.
            var busy = false;
            await foreach (var row in RowsAsync(connection, timeout, "PRAGMA wal_checkpoint(TRUNCATE)", cancellationToken).ConfigureAwait(false))
            {
                busy = Convert.ToInt64(row[0], CultureInfo.InvariantCulture) != 0;
            }

            if (!busy)
            {
                return new(KeyTableCompactionOutcome.Compacted, [], "The key store's database was rebuilt from its live content (VACUUM) and its write-ahead log checkpointed and truncated: the erased wrapped keys are no longer in its files. The file system's freed blocks and backups are not the SDK's to erase.");
            }

            var remaining = deadline - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return new(
                    KeyTableCompactionOutcome.BlockedByOlderTransactions,
                    [new KeyTableCompactionBlocker(KeyTableCompactionBlockerKind.Reader, "?", "Another connection to the key store's database reads a snapshot older than the compaction, so its write-ahead log (which still holds the pages as they were before) could not be emptied: end that read transaction.", null, null)],
                    "The key store's database was rebuilt (VACUUM), but its write-ahead log could not be emptied because a reader of an older snapshot is still open: the log may still hold the erased wrapped keys. End it and call CompactKeyTableAsync again.");
            }

            await Task.Delay(remaining < PollInterval ? remaining : PollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Microsoft.Data.Sqlite's <c>SqliteException.SqliteErrorCode</c>, read without a reference to the provider.</summary>
    private static int? SqliteErrorCode(DbException exception) =>
        exception.GetType().GetProperty("SqliteErrorCode")?.GetValue(exception) as int?;

    private static string Describe(object? database, object? backendType, object? application, object? state, DateTimeOffset? started) =>
        string.Join(", ", new[]
        {
            database is string { Length: > 0 } db ? $"database '{db}'" : null,
            backendType as string,
            application is string { Length: > 0 } name ? $"application '{name}'" : null,
            state as string,
            started is null ? null : "transaction open since " + Format(started),
        }.Where(part => part is not null));

    private static string Format(DateTimeOffset? value) => value?.ToString("O", CultureInfo.InvariantCulture) ?? "an unknown time";

    private static DateTimeOffset? AsTime(object? value) => value switch
    {
        DateTimeOffset offset => offset,
        DateTime utc => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)),
        _ => null,
    };

    private static DbCommand Command(DbConnection connection, int? timeout, string sql, (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        if (timeout is { } seconds)
        {
            command.CommandTimeout = seconds;
        }

        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private static async Task ExecuteAsync(DbConnection connection, int? timeout, string sql, CancellationToken cancellationToken)
    {
        var command = Command(connection, timeout, sql, []);
        await using (command.ConfigureAwait(false))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<object?> ScalarAsync(DbConnection connection, int? timeout, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        var command = Command(connection, timeout, sql, parameters);
        await using (command.ConfigureAwait(false))
        {
            var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return value is DBNull ? null : value;
        }
    }

    private static async IAsyncEnumerable<object?[]> RowsAsync(DbConnection connection, int? timeout, string sql, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        var command = Command(connection, timeout, sql, parameters);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var row = new object?[reader.FieldCount];
                    for (var i = 0; i < row.Length; i++)
                    {
                        row[i] = await reader.IsDBNullAsync(i, cancellationToken).ConfigureAwait(false) ? null : reader.GetValue(i);
                    }

                    yield return row;
                }
            }
        }
    }
}
