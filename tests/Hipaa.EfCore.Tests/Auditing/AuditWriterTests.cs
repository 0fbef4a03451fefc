using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Hipaa.EfCore.Tests.Auditing;

/// <summary>
/// The group-commit writer against a SQLite file, a shared-cache in-memory SQLite database and PostgreSQL: exact values,
/// concurrent callers, batch bounds, a failing store and its recovery, shutdown.
/// </summary>
public sealed class AuditWriterTests
{
    public static TheoryData<string> SqliteStores => new() { "file", "memory" };

    [Theory]
    [MemberData(nameof(SqliteStores))]
    public async Task Values_AreStoredAsEfCoreStoresThem_Sqlite(string store) => await ValuesAreStoredAsEfCoreStoresThem(store);

    [PostgresFact]
    public async Task Values_AreStoredAsEfCoreStoresThem_Postgres() => await ValuesAreStoredAsEfCoreStoresThem("postgres");

    [Theory]
    [MemberData(nameof(SqliteStores))]
    public async Task EightConcurrentCallers_EveryRecordOnceInCallOrder_Sqlite(string store) => await EightConcurrentCallers(store);

    [PostgresFact]
    public async Task EightConcurrentCallers_EveryRecordOnceInCallOrder_Postgres() => await EightConcurrentCallers("postgres");

    [Theory]
    [MemberData(nameof(SqliteStores))]
    public async Task MaxBatchSize_BoundsTheRowsOfEveryTransaction_Sqlite(string store) => await MaxBatchSizeBoundsTransactions(store);

    [PostgresFact]
    public async Task MaxBatchSize_BoundsTheRowsOfEveryTransaction_Postgres() => await MaxBatchSizeBoundsTransactions("postgres");

    [Theory]
    [MemberData(nameof(SqliteStores))]
    public async Task StoreDown_EveryCallerOfTheBatchIsRefused_ThenTheWriterRecovers_Sqlite(string store) => await StoreDownThenRecovers(store);

    [PostgresFact]
    public async Task StoreDown_EveryCallerOfTheBatchIsRefused_ThenTheWriterRecovers_Postgres() => await StoreDownThenRecovers("postgres");

    [Theory]
    [MemberData(nameof(SqliteStores))]
    public async Task Dispose_WritesOrRefusesWhatIsQueued_AndRefusesNewRecords_Sqlite(string store) => await DisposeWhileAppending(store);

    [PostgresFact]
    public async Task Dispose_WritesOrRefusesWhatIsQueued_AndRefusesNewRecords_Postgres() => await DisposeWhileAppending("postgres");

    [Theory]
    [MemberData(nameof(SqliteStores))]
    public async Task Sqlite_WhileTheStoresWriteGateIsHeld_TheWriterWaitsInTheProcessThenCommits(string store)
    {
        // The sealer holds AuditStoreWriteGate around its sealing transaction; the writer must take turns through it
        // (not collide in SQLite, where the loser sleeps 150 ms in Microsoft.Data.Sqlite's retry loop).
        using var audit = new Store(store);
        using var writer = audit.CreateWriter();
        writer.Append([Entry("first", 0)]); // opens the connection: the writer now knows the store is SQLite
        var gate = AuditStoreWriteGate.For(audit.Options);

        Task append;
        await gate.WaitAsync();
        try
        {
            append = Task.Run(() => writer.Append([Entry("while-gated", 1)]));
            Assert.False(SpinWait.SpinUntil(() => append.IsCompleted, TimeSpan.FromMilliseconds(300)), "The append committed while the gate was held.");
        }
        finally
        {
            gate.Release();
        }

        await append;
        Assert.Equal(new[] { "first", "while-gated" }, audit.Rows().Select(r => r.ActorId));
    }

    [Fact]
    public void SqliteFileLockedByAnotherWriter_IsRefusedAfterTheTimeout_ThenRecovers()
    {
        using var store = new Store("file", connectionStringSuffix: ";Default Timeout=1");
        using var writer = store.CreateWriter();
        writer.Append([Entry("before", 0)]);

        using (var blocker = store.OpenConnection())
        {
            using var transaction = blocker.BeginTransaction(); // BEGIN IMMEDIATE: holds the write lock
            using var insert = blocker.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "CREATE TABLE hold (x INTEGER)";
            insert.ExecuteNonQuery();

            var refused = Assert.Throws<AuditUnavailableException>(() => writer.Append([Entry("while-locked", 0)]));
            Assert.Contains("1 audit record(s)", refused.Message, StringComparison.Ordinal);
            Assert.IsType<SqliteException>(refused.InnerException);
            transaction.Rollback();
        }

        writer.Append([Entry("after", 0)]);
        Assert.Equal(new[] { "before", "after" }, store.Rows().Select(r => r.ActorId));
        Assert.Equal(2, writer.ConnectionsOpened);
    }

    [PostgresFact]
    public async Task PostgresConnectionKilled_TheNextCallReconnects_AndAStoreThatRefusesConnectionsIsReported()
    {
        using var store = new Store("postgres");
        using var writer = store.CreateWriter();
        writer.Append([Entry("before", 0)]);

        // The writer's session is killed while idle: the next call fails on it, reconnects and succeeds.
        store.KillOtherSessions();
        await writer.AppendAsync([Entry("after-kill", 0)]);
        Assert.Equal(2, writer.ConnectionsOpened);

        // Killed again, and no new connection is accepted: every caller is refused.
        store.AllowConnections(false);
        try
        {
            store.KillOtherSessions();
            var calls = Enumerable.Range(0, 4).Select(i => Task.Run(() => i % 2 == 0
                ? writer.AppendAsync([Entry("refused", i)])
                : Task.Run(() => writer.Append([Entry("refused", i)])))).ToList();
            foreach (var call in calls)
            {
                var refused = await Assert.ThrowsAsync<AuditUnavailableException>(() => call);
                Assert.Contains("audit record(s)", refused.Message, StringComparison.Ordinal);
                Assert.True(Causes(refused).Any(e => e is DbException), refused.ToString()); // EF Core may wrap the open's failure
            }
        }
        finally
        {
            store.AllowConnections(true);
        }

        writer.Append([Entry("recovered", 0)]);
        Assert.Equal(new[] { "before", "after-kill", "recovered" }, store.Rows().Select(r => r.ActorId));
    }

    [Fact]
    public void EmptyAppends_DoNothing_AndAreRefusedAfterDispose()
    {
        using var store = new Store("memory");
        var writer = store.CreateWriter();
        writer.Append([]);
        Assert.True(writer.AppendAsync([]).IsCompletedSuccessfully);
        Assert.Equal(0, writer.Transactions);
        writer.Dispose();
        writer.Dispose();
        Assert.Throws<AuditUnavailableException>(() => writer.Append([]));
    }

    private static async Task ValuesAreStoredAsEfCoreStoresThem(string kind)
    {
        using var store = new Store(kind);
        var full = new AuditEntry
        {
            RecordId = Guid.Parse("0197a3f0-1c2d-7e4f-8a9b-0c1d2e3f4a5b"),
            OccurredAt = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero).AddTicks(1_234_560), // microsecond precision (PostgreSQL's)
            ActorId = "u-ther-1 «ü»",
            ActorRoles = string.Join(AuditEntry.ListSeparator, "Therapist", "Auditor"),
            ClientApplication = "ehr-web",
            PatientId = "p-42",
            Action = AuditAction.Disclose,
            Entity = "ProgressNote",
            Categories = "MentalHealth",
            Labels = string.Join(AuditEntry.ListSeparator, "R", "PSY"),
            Fields = "Text",
            RedactedFields = "Diagnosis",
            PurposeOfUse = "TREAT",
            Outcome = AuditOutcome.Denied,
            ClientAddress = "10.1.2.3",
            RequestId = "req-1",
            BreakGlassReason = "emergency",
            Recipient = "Dr. Example, Example Clinic",
            Description = "line 1\nline 2 'quoted' \"double\"",
            RecordKeys = string.Join(AuditEntry.ListSeparator, "k1", "k2"),
            QueryFingerprint = new string('a', 64),
            RowCount = int.MaxValue,
            Decision = "Permit rule-1; obligations: redact",
            ChainPosition = 7,
            PreviousHash = [0, 1, 2, 255],
            Hash = new byte[32],
            SealedAt = new DateTimeOffset(2026, 3, 4, 5, 6, 8, TimeSpan.Zero).AddTicks(10),
        };
        var sparse = new AuditEntry
        {
            RecordId = Guid.Parse("0197a3f0-1c2d-7e4f-8a9b-0c1d2e3f4a5c"),
            OccurredAt = DateTimeOffset.UnixEpoch,
            ActorId = "system:job",
            Action = AuditAction.Read,
            Entity = "Note",
            PurposeOfUse = "HOPERAT",
            Outcome = AuditOutcome.Failed,
        };

        using (var writer = store.CreateWriter())
        {
            writer.Append([full, sparse]);
            await writer.AppendAsync([Copy(full, 1), Copy(sparse, 1)]);
        }

        // Twins written by EF Core's own SaveChanges: every stored column must match, byte for byte.
        using (var context = store.CreateContext())
        {
            context.Entries.AddRange(Copy(full, 2), Copy(sparse, 2));
            context.SaveChanges();
        }

        var rows = store.Rows();
        Assert.Equal(6, rows.Count);
        AssertSame(full, rows[0]);
        AssertSame(sparse, rows[1]);
        AssertSame(Copy(full, 1), rows[2]);
        AssertSame(Copy(sparse, 1), rows[3]);

        var raw = store.RawRows();
        for (var i = 0; i < 2; i++)
        {
            foreach (var twin in new[] { raw[i + 2], raw[i + 4] })
            {
                foreach (var (column, value) in raw[i])
                {
                    if (column is "id" or "record_id" or "chain_position")
                    {
                        continue;
                    }

                    Assert.True(Equals(value, twin[column]) || (value is byte[] a && twin[column] is byte[] b && a.AsSpan().SequenceEqual(b)), $"{column}: {value} vs {twin[column]}");
                }
            }
        }
    }

    private static async Task EightConcurrentCallers(string kind)
    {
        const int callers = 8;
        const int perCaller = 500;
        using var store = new Store(kind);
        using var writer = store.CreateWriter();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            for (var i = 0; i < perCaller; i++)
            {
                var entry = Entry("caller-" + caller.ToString(CultureInfo.InvariantCulture), i);
                if ((caller + i) % 2 == 0)
                {
                    writer.Append([entry]);
                }
                else
                {
                    await writer.AppendAsync([entry]);
                }
            }
        })));

        var rows = store.Rows();
        Assert.Equal(callers * perCaller, rows.Count);
        Assert.Equal(callers * perCaller, rows.Select(r => r.RecordId).Distinct().Count());
        foreach (var caller in rows.GroupBy(r => r.ActorId))
        {
            Assert.Equal(Enumerable.Range(0, perCaller), caller.Select(r => r.RowCount)); // rows are ordered by id
        }

        Assert.InRange(writer.Transactions, 1, callers * perCaller);
    }

    private static async Task MaxBatchSizeBoundsTransactions(string kind)
    {
        using var store = new Store(kind);
        using (var small = store.CreateWriter(maxBatchSize: 10))
        {
            small.Append([.. Enumerable.Range(0, 25).Select(i => Entry("one-call", i))]);
            Assert.Equal(3, small.Transactions);
            Assert.Equal(10, small.LargestTransaction);

            // Concurrent calls of 3 records with batches of 7: no transaction exceeds 7 rows and each call's rows stay together.
            await Task.WhenAll(Enumerable.Range(0, 8).Select(caller => Task.Run(async () =>
            {
                for (var call = 0; call < 20; call++)
                {
                    var entries = Enumerable.Range(0, 3).Select(i => Entry($"c{caller}-{call}", i)).ToList();
                    if (call % 2 == 0)
                    {
                        await small.AppendAsync(entries);
                    }
                    else
                    {
                        small.Append(entries);
                    }
                }
            })));
            Assert.True(small.LargestTransaction <= 10);
            Assert.True(small.Transactions >= 3 + (8 * 20 * 3 / 10));
        }

        using (var large = store.CreateWriter(maxBatchSize: 512))
        {
            // 300 rows: one transaction of several statements (256 + 32 + 12 rows); 1,000 rows: 512 + 488.
            large.Append([.. Enumerable.Range(0, 300).Select(i => Entry("three-hundred", i))]);
            Assert.Equal(1, large.Transactions);
            await large.AppendAsync([.. Enumerable.Range(0, 1_000).Select(i => Entry("thousand", i))]);
            Assert.Equal(3, large.Transactions);
            Assert.Equal(512, large.LargestTransaction);
        }

        var rows = store.Rows();
        Assert.Equal(25 + (8 * 20 * 3) + 300 + 1_000, rows.Count);
        Assert.Equal(Enumerable.Range(0, 25), rows.Where(r => r.ActorId == "one-call").Select(r => r.RowCount));
        Assert.Equal(Enumerable.Range(0, 300), rows.Where(r => r.ActorId == "three-hundred").Select(r => r.RowCount));
        Assert.Equal(Enumerable.Range(0, 1_000), rows.Where(r => r.ActorId == "thousand").Select(r => r.RowCount));
        var calls = rows.Select((row, index) => (row, index)).Where(x => x.row.ActorId.StartsWith('c')).GroupBy(x => x.row.ActorId).ToList();
        Assert.Equal(160, calls.Count);
        foreach (var call in calls)
        {
            Assert.Equal(new[] { 0, 1, 2 }, call.Select(x => x.row.RowCount));
            Assert.Equal(call.First().index + 2, call.Last().index); // contiguous: no other call's row between them
        }
    }

    private static async Task StoreDownThenRecovers(string kind)
    {
        using var store = new Store(kind);
        using var writer = store.CreateWriter();
        await writer.AppendAsync([Entry("before", 0)]);

        store.Execute("ALTER TABLE hipaa_audit RENAME TO hipaa_audit_away");
        var refusals = 0;
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(caller => Task.Run(async () =>
        {
            try
            {
                if (caller % 2 == 0)
                {
                    writer.Append([Entry("while-down", caller)]);
                }
                else
                {
                    await writer.AppendAsync([Entry("while-down", caller)]);
                }

                return (Exception?)null;
            }
            catch (Exception e)
            {
                return e;
            }
        })));
        foreach (var outcome in outcomes)
        {
            var refused = Assert.IsType<AuditUnavailableException>(outcome);
            Assert.Matches(@"did not accept \d+ audit record\(s\)", refused.Message);
            Assert.IsAssignableFrom<DbException>(refused.InnerException);
            Assert.Contains(refused.InnerException!.Message, refused.Message, StringComparison.Ordinal);
            refusals++;
        }

        Assert.Equal(8, refusals);
        store.Execute("ALTER TABLE hipaa_audit_away RENAME TO hipaa_audit");

        await Task.WhenAll(Enumerable.Range(0, 8).Select(caller => Task.Run(() => writer.Append([Entry("after", caller)]))));
        var rows = store.Rows();
        Assert.Equal(new[] { "before" }.Concat(Enumerable.Repeat("after", 8)), rows.Select(r => r.ActorId));
        Assert.True(writer.ConnectionsOpened >= 2, "The writer reopens its connection after a failure.");
    }

    private static async Task DisposeWhileAppending(string kind)
    {
        using var store = new Store(kind);
        var writer = store.CreateWriter();
        var committed = new ConcurrentBag<Guid>();
        var refused = new ConcurrentBag<Guid>();
        using var started = new CountdownEvent(8);
        var callers = Enumerable.Range(0, 8).Select(caller => Task.Run(async () =>
        {
            for (var i = 0; ; i++)
            {
                var entry = Entry("caller-" + caller.ToString(CultureInfo.InvariantCulture), i);
                try
                {
                    if ((caller + i) % 2 == 0)
                    {
                        writer.Append([entry]);
                    }
                    else
                    {
                        await writer.AppendAsync([entry]);
                    }

                    committed.Add(entry.RecordId);
                }
                catch (AuditUnavailableException)
                {
                    refused.Add(entry.RecordId);
                    return;
                }

                if (i == 20)
                {
                    started.Signal();
                }
            }
        })).ToList();

        started.Wait(TimeSpan.FromMinutes(1));
        writer.Dispose();

        // Every caller ends (none waits forever), with its last call refused; what was reported committed is in the table.
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(8, refused.Count);
        var stored = store.Rows().Select(r => r.RecordId).ToHashSet();
        Assert.Subset(stored, committed.ToHashSet());
        Assert.Equal(committed.Count, stored.Count);

        var after = Assert.Throws<AuditUnavailableException>(() => writer.Append([Entry("late", 0)]));
        Assert.Contains("shutting down", after.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<AuditUnavailableException>(() => writer.AppendAsync([Entry("late", 1)]));
    }

    private static IEnumerable<Exception> Causes(Exception exception)
    {
        for (var cause = exception.InnerException; cause is not null; cause = cause.InnerException)
        {
            yield return cause;
        }
    }

    private static AuditEntry Entry(string actor, int sequence) => new()
    {
        RecordId = Guid.CreateVersion7(),
        OccurredAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(sequence * 10L),
        ActorId = actor,
        ActorRoles = "Therapist",
        PatientId = "p-" + sequence.ToString(CultureInfo.InvariantCulture),
        Action = AuditAction.Read,
        Entity = "Note",
        PurposeOfUse = "TREAT",
        Outcome = AuditOutcome.Success,
        RowCount = sequence,
    };

    private static AuditEntry Copy(AuditEntry entry, int variant)
    {
        var copy = (AuditEntry)typeof(AuditEntry).GetMethod("MemberwiseClone", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.Invoke(entry, null)!;
        var id = entry.RecordId.ToByteArray();
        id[15] ^= (byte)variant;
        copy.RecordId = new Guid(id);
        copy.ChainPosition += variant; // unique, like the record id
        return copy;
    }

    private static void AssertSame(AuditEntry expected, AuditEntry actual)
    {
        foreach (var property in typeof(AuditEntry).GetProperties().Where(p => p.Name != nameof(AuditEntry.Id)))
        {
            var e = property.GetValue(expected);
            var a = property.GetValue(actual);
            if (e is byte[] eb && a is byte[] ab)
            {
                Assert.Equal(eb, ab);
            }
            else
            {
                Assert.True(Equals(e, a), $"{property.Name}: expected {e}, stored {a}");
            }

            if (e is DateTimeOffset et && a is DateTimeOffset at)
            {
                Assert.Equal(et.Offset, at.Offset);
            }
        }
    }

    /// <summary>An empty audit store (the audit tables only) of one kind, and direct access to its rows.</summary>
    private sealed class Store : IDisposable
    {
        private readonly TestDatabase? _database;
        private readonly SqliteConnection? _keepAlive;

        public Store(string kind, string connectionStringSuffix = "")
        {
            Kind = kind;
            switch (kind)
            {
                case "memory":
                    ConnectionString = $"Data Source=hipaa-writer-{Guid.NewGuid():N};Mode=Memory;Cache=Shared";
                    _keepAlive = new SqliteConnection(ConnectionString);
                    _keepAlive.Open();
                    break;
                case "file":
                    _database = TestDatabase.Create("sqlite");
                    ConnectionString = _database.ConnectionString + connectionStringSuffix;
                    break;
                case "postgres":
                    _database = TestDatabase.Create("postgres");
                    ConnectionString = _database.ConnectionString;
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown store.");
            }

            using var context = CreateContext();
            context.Database.EnsureCreated();
        }

        public string Kind { get; }

        public string ConnectionString { get; }

        public DbContextOptions<AuditDbContext> Options
        {
            get
            {
                var options = new DbContextOptionsBuilder<AuditDbContext>();
                _ = Kind == "postgres" ? options.UseNpgsql(ConnectionString) : options.UseSqlite(ConnectionString);
                return options.Options;
            }
        }

        public AuditWriter CreateWriter(int maxBatchSize = 512) => new(Options, maxBatchSize);

        public AuditDbContext CreateContext() => new(Options);

        public DbConnection OpenConnection()
        {
            DbConnection connection = Kind == "postgres" ? new NpgsqlConnection(ConnectionString) : new SqliteConnection(ConnectionString);
            connection.Open();
            return connection;
        }

        public void Execute(string sql)
        {
            using var connection = OpenConnection();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }

        /// <summary>Every audit row, by id, through EF Core.</summary>
        public List<AuditEntry> Rows()
        {
            using var context = CreateContext();
            return [.. context.Entries.AsNoTracking().OrderBy(e => e.Id)];
        }

        /// <summary>Every audit row, by id, as the provider returns the stored values (column name to value).</summary>
        public List<Dictionary<string, object?>> RawRows()
        {
            using var connection = OpenConnection();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT * FROM hipaa_audit ORDER BY id";
            using var reader = command.ExecuteReader();
            var rows = new List<Dictionary<string, object?>>();
            while (reader.Read())
            {
                var row = new Dictionary<string, object?>();
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }

                rows.Add(row);
            }

            return rows;
        }

        /// <summary>PostgreSQL: ends every other session of this database (the writer's among them).</summary>
        public void KillOtherSessions()
        {
            using var connection = new NpgsqlConnection(TestEnvironment.RequirePostgres());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @name AND pid <> pg_backend_pid()";
            command.Parameters.AddWithValue("name", new NpgsqlConnectionStringBuilder(ConnectionString).Database!);
            command.ExecuteNonQuery();
            NpgsqlConnection.ClearAllPools();
        }

        /// <summary>PostgreSQL: lets this database accept new connections or not.</summary>
        public void AllowConnections(bool allow)
        {
            using var connection = new NpgsqlConnection(TestEnvironment.RequirePostgres());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"ALTER DATABASE \"{new NpgsqlConnectionStringBuilder(ConnectionString).Database}\" ALLOW_CONNECTIONS {(allow ? "true" : "false")}";
            command.ExecuteNonQuery();
        }

        public void Dispose()
        {
            _keepAlive?.Dispose();
            _database?.Dispose();
        }
    }
}
