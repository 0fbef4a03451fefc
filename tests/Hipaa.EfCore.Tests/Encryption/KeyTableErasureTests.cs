using System.Data;
using System.Data.Common;
using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Encryption;

/// <summary>
/// A shredded patient's wrapped key does not stay in PostgreSQL's heap file as a dead tuple once the key table is
/// compacted (issue 9, finding 7) — and while a transaction older than the shred is open, the compaction says so instead
/// of reporting a success it cannot have. The relation file is read directly, as someone with the server's disk would
/// (the tests run as root; the server runs as postgres). Deterministic: the test opens and ends the blocking transaction.
/// Run alone (not beside the other test classes of this assembly): any transaction in the cluster older than the shred
/// rightly blocks the compaction, and under load another class's could outlast the wait (seen twice in CI).
/// </summary>
[Collection(nameof(PostgresKeyTableErasureTests))]
public sealed class PostgresKeyTableErasureTests : IDisposable
{
    private static readonly CountingKeyEncryptionKey Kek = new("kek-erasure");
    private readonly TestDatabase _database = TestDatabase.Create("postgres");

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task CompactKeyTableAsync_ATransactionOlderThanTheShred_IsReportedThenTheErasedKeyIsRemovedOnceItEnds()
    {
        using var host = new EncryptionHost(_database, Kek);
        var (shredded, kept) = (Guid.NewGuid(), Guid.NewGuid());
        await KeyTableFiles.SavePatientsAsync(host, shredded, kept);
        var (wrapped, other) = (WrappedKeyOf(shredded)!, WrappedKeyOf(kept)!);
        Assert.True(KeyTableFileContains(wrapped)); // the scan finds a wrapped key where it is

        // A snapshot from before the shred: REPEATABLE READ takes it at the transaction's first statement.
        await using var blocker = _database.OpenConnection();
        await using var before = await blocker.BeginTransactionAsync(IsolationLevel.RepeatableRead);
        var pid = Convert.ToString(await ScalarAsync(blocker, before, "SELECT pg_backend_pid()"), System.Globalization.CultureInfo.InvariantCulture)!;

        await host.Keys.ShredAsync(DataKeyScope.ForPatient(shredded));
        Assert.Null(WrappedKeyOf(shredded)); // erased from the live row ...

        var blocked = await host.Keys.CompactKeyTableAsync();
        Assert.Equal(KeyTableCompactionOutcome.BlockedByOlderTransactions, blocked.Outcome);
        Assert.False(blocked.Compacted);
        var session = Assert.Single(blocked.Blockers, b => b.Name == pid);
        Assert.Equal(KeyTableCompactionBlockerKind.Session, session.Kind);
        Assert.Contains($"pg_terminate_backend({pid})", session.Description, StringComparison.Ordinal);
        Assert.NotNull(session.TransactionStartedAt);
        Assert.True(KeyTableFileContains(wrapped)); // ... but still on disk, in the dead tuple the update left

        await before.RollbackAsync();

        // Anything else older than the shred (an autovacuum worker's snapshot, under a loaded suite) is waited out.
        var compacted = await host.Keys.CompactKeyTableAsync(TimeSpan.FromMinutes(2));
        Assert.True(compacted.Compacted, compacted.Message + " " + string.Join(" ", compacted.Blockers));
        Assert.False(KeyTableFileContains(wrapped));
        Assert.True(KeyTableFileContains(other)); // the same (new) file, still holding the live keys
        await KeyTableFiles.AssertShreddedScopeClosedAndOthersReadableAsync(host, shredded, kept);
    }

    [Fact]
    public async Task CompactKeyTableAsync_ATransactionInAnotherDatabaseOlderThanTheShred_IsReportedBecauseVacuumFullWouldKeepTheKey()
    {
        using var host = new EncryptionHost(_database, Kek);
        var (shredded, kept) = (Guid.NewGuid(), Guid.NewGuid());
        await KeyTableFiles.SavePatientsAsync(host, shredded, kept);
        var wrapped = WrappedKeyOf(shredded)!;

        // Another database of the same server, a transaction that has an id (as any write gets) from before the shred.
        using var elsewhere = TestDatabase.Create("postgres");
        await using var other = elsewhere.OpenConnection();
        await using var running = await other.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        Assert.NotNull(await ScalarAsync(other, running, "SELECT pg_current_xact_id()")); // its own statement: the function is STABLE, a subquery could drop it
        var pid = Convert.ToString(await ScalarAsync(other, running, "SELECT pg_backend_pid()"), System.Globalization.CultureInfo.InvariantCulture)!;
        await host.Keys.ShredAsync(DataKeyScope.ForPatient(shredded));

        var blocked = await host.Keys.CompactKeyTableAsync();
        Assert.Equal(KeyTableCompactionOutcome.BlockedByOlderTransactions, blocked.Outcome);
        Assert.Contains(blocked.Blockers, b => b.Kind == KeyTableCompactionBlockerKind.Session && b.Name == pid);

        // Why it is reported: VACUUM FULL run anyway succeeds, and keeps the erased key (its own snapshot counts that transaction).
        using (var connection = _database.OpenConnection())
        using (var vacuum = connection.CreateCommand())
        {
            vacuum.CommandText = $"VACUUM (FULL) \"{KeyStoreDbContext.TableName}\"";
            vacuum.ExecuteNonQuery();
        }

        Assert.True(KeyTableFileContains(wrapped));

        await running.RollbackAsync();
        var compacted = await host.Keys.CompactKeyTableAsync(TimeSpan.FromMinutes(2));
        Assert.True(compacted.Compacted, compacted.Message + " " + string.Join(" ", compacted.Blockers));
        Assert.False(KeyTableFileContains(wrapped));
    }

    [Fact]
    public async Task CompactKeyTableAsync_ASessionHoldingALockOnTheKeyTable_GivesUpAfterTheLockTimeoutAndNamesIt()
    {
        using var host = new EncryptionHost(_database, Kek);
        var (shredded, kept) = (Guid.NewGuid(), Guid.NewGuid());
        await KeyTableFiles.SavePatientsAsync(host, shredded, kept);
        var wrapped = WrappedKeyOf(shredded)!;
        await host.Keys.ShredAsync(DataKeyScope.ForPatient(shredded));

        // Started after the shred (READ COMMITTED keeps no snapshot between statements): it holds back nothing, but it holds a lock.
        await using var holder = _database.OpenConnection();
        await using var reading = await holder.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        await ScalarAsync(holder, reading, $"SELECT count(*) FROM \"{KeyStoreDbContext.TableName}\"");
        var pid = Convert.ToString(await ScalarAsync(holder, reading, "SELECT pg_backend_pid()"), System.Globalization.CultureInfo.InvariantCulture)!;

        var result = await host.Keys.CompactKeyTableAsync(TimeSpan.FromMinutes(2)); // waits out other test classes' transactions in the shared cluster; the holder is no older transaction

        Assert.True(
            result.Outcome == KeyTableCompactionOutcome.LockNotAcquired,
            $"{result.Outcome}: {string.Join("; ", result.Blockers.Select(b => $"{b.Kind} {b.Name}: {b.Description}"))}");
        var lockHolder = Assert.Single(result.Blockers, b => b.Name == pid);
        Assert.Equal(KeyTableCompactionBlockerKind.LockHolder, lockHolder.Kind);
        Assert.Contains("AccessShareLock", lockHolder.Description, StringComparison.Ordinal);
        Assert.True(KeyTableFileContains(wrapped)); // nothing was rewritten

        await reading.RollbackAsync();
        Assert.True((await host.Keys.CompactKeyTableAsync(TimeSpan.FromMinutes(2))).Compacted);
        Assert.False(KeyTableFileContains(wrapped));
    }

    private static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction transaction, string sql)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    private byte[]? WrappedKeyOf(Guid patient) => KeyTableFiles.WrappedKeyOf(_database, patient);

    /// <summary>Whether the key table's heap file holds <paramref name="bytes"/>, after a checkpoint wrote every page to it.</summary>
    private bool KeyTableFileContains(byte[] bytes)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "CHECKPOINT";
        command.ExecuteNonQuery();
        command.CommandText = $"SELECT current_setting('data_directory') || '/' || pg_relation_filepath('{KeyStoreDbContext.TableName}')";
        var path = (string)command.ExecuteScalar()!;
        return KeyTableFiles.Contains([path], bytes);
    }
}

/// <summary>
/// On SQLite a shred's update leaves the erased wrapped key in the page's free space and in the write-ahead log;
/// <c>CompactKeyTableAsync</c> rebuilds the key store's database (<c>VACUUM</c>) and truncates its log, after which no
/// file of the database holds it.
/// </summary>
public sealed class SqliteKeyTableErasureTests : IDisposable
{
    private static readonly CountingKeyEncryptionKey Kek = new("kek-erasure-sqlite");
    private readonly TestDatabase _database = TestDatabase.Create("sqlite");

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task CompactKeyTableAsync_AfterAShred_LeavesNoByteOfTheErasedWrappedKeyInTheDatabasesFiles()
    {
        using var host = new EncryptionHost(_database, Kek);
        var (shredded, kept) = (Guid.NewGuid(), Guid.NewGuid());
        await KeyTableFiles.SavePatientsAsync(host, shredded, kept);
        var (wrapped, other) = (KeyTableFiles.WrappedKeyOf(_database, shredded)!, KeyTableFiles.WrappedKeyOf(_database, kept)!);
        Assert.True(FilesContain(wrapped)); // the scan finds a wrapped key where it is

        await host.Keys.ShredAsync(DataKeyScope.ForPatient(shredded));
        Assert.Null(KeyTableFiles.WrappedKeyOf(_database, shredded));
        if (!SecureDelete())
        {
            Assert.True(FilesContain(wrapped)); // SQLite frees the old cell without overwriting it, and the log has the old page
        }

        var result = await host.Keys.CompactKeyTableAsync();

        Assert.True(result.Compacted, result.Message);
        Assert.False(FilesContain(wrapped));
        Assert.True(FilesContain(other));
        await KeyTableFiles.AssertShreddedScopeClosedAndOthersReadableAsync(host, shredded, kept);
    }

    private string DatabaseFile => new SqliteConnectionStringBuilder(_database.ConnectionString).DataSource;

    private bool FilesContain(byte[] bytes) => KeyTableFiles.Contains([DatabaseFile, DatabaseFile + "-wal", DatabaseFile + "-journal"], bytes);

    private bool SecureDelete()
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA secure_delete";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) != 0;
    }
}

/// <summary>What both erasure tests share: patients to shred and keep, the key rows, and a byte search in files.</summary>
internal static class KeyTableFiles
{
    public static async Task SavePatientsAsync(EncryptionHost host, params Guid[] ids)
    {
        await using var context = host.CreateContext();
        foreach (var id in ids)
        {
            context.Add(new Patient { Id = id, DisplayName = "P", Ssn = "ssn-" + id.ToString("N")[..8] });
        }

        await context.SaveChangesAsync();
    }

    public static byte[]? WrappedKeyOf(TestDatabase database, Guid patient)
    {
        var options = new DbContextOptionsBuilder<KeyStoreDbContext>();
        database.Use(options);
        using var table = new KeyStoreDbContext(options.Options);
        var scope = KeyScopes.Patient(patient.ToString());
        return table.Keys.AsNoTracking().Where(k => k.Kind == DataKeyKind.Data && k.Scope == scope).OrderBy(k => k.Version).First().WrappedKey;
    }

    /// <summary>Whether any of the files that exist holds <paramref name="bytes"/> (read while the database may have them open).</summary>
    public static bool Contains(IEnumerable<string> paths, byte[] bytes)
    {
        foreach (var path in paths.Where(File.Exists))
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            if (copy.GetBuffer().AsSpan(0, (int)copy.Length).IndexOf(bytes) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    public static async Task AssertShreddedScopeClosedAndOthersReadableAsync(EncryptionHost host, Guid shredded, Guid kept)
    {
        await using var context = host.CreateContext();
        Assert.Equal("ssn-" + kept.ToString("N")[..8], (await context.Patients.AsNoTracking().SingleAsync(p => p.Id == kept)).Ssn);
        context.Add(new Note { Id = Guid.NewGuid(), PatientId = shredded, Text = "after the shred" });
        await Assert.ThrowsAsync<ShreddedScopeException>(() => context.SaveChangesAsync());
    }
}

/// <summary>Runs <see cref="PostgresKeyTableErasureTests"/> after, not beside, the test classes that run in parallel.</summary>
[CollectionDefinition(nameof(PostgresKeyTableErasureTests), DisableParallelization = true)]
public sealed class PostgresKeyTableErasureCollection;
