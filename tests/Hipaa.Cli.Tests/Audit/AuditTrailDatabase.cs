using System.Data.Common;
using System.Globalization;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Auditing.Integrity;
using Hipaa.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Hipaa.Cli.Tests.Audit;

/// <summary>
/// A fresh database with the audit tables (a SQLite file, or a database in the PostgreSQL cluster of scripts/test.sh), rows
/// appended as the capture side does, a development signing key and its public key in files, and plain-SQL tampering.
/// </summary>
internal sealed class AuditTrailDatabase : IDisposable
{
    private readonly string _directory = System.IO.Directory.CreateTempSubdirectory("hipaa-cli-audit-").FullName;
    private readonly string? _postgresAdmin;
    private readonly string? _postgresName;
    private int _appended;

    public AuditTrailDatabase(string provider)
    {
        Provider = provider;
        if (provider == "postgres")
        {
            _postgresAdmin = TestEnvironment.RequirePostgres();
            _postgresName = "hipaa_cli_" + Guid.NewGuid().ToString("N");
            ExecuteOn(new NpgsqlConnection(_postgresAdmin), $"CREATE DATABASE \"{_postgresName}\"");
            ConnectionString = new NpgsqlConnectionStringBuilder(_postgresAdmin) { Database = _postgresName }.ConnectionString;
        }
        else
        {
            ConnectionString = $"Data Source={Path.Combine(_directory, "clinic.db")};Default Timeout=30";
        }

        using (var context = new AuditDbContext(Options))
        {
            context.Database.EnsureCreated();
        }

        using var signer = LocalDevelopmentCheckpointSigner.OpenOrCreate(KeyPath);
        File.WriteAllText(PublicKeyPath, signer.ExportPublicKeyPem());
    }

    public string Provider { get; }

    public string ConnectionString { get; }

    public string Directory => _directory;

    public string KeyPath => Path.Combine(_directory, "audit-signing.pem");

    public string PublicKeyPath => Path.Combine(_directory, "audit-signing.pub.pem");

    public DbContextOptions<AuditDbContext> Options
    {
        get
        {
            var builder = new DbContextOptionsBuilder<AuditDbContext>();
            _ = Provider == "postgres" ? builder.UseNpgsql(ConnectionString) : builder.UseSqlite(ConnectionString);
            return builder.Options;
        }
    }

    public string[] Store => ["--connection", ConnectionString, "--provider", Provider];

    public static AuditRecord Record(int n, string patientId = "patient-1") => new()
    {
        RecordId = Guid.NewGuid(),
        OccurredAt = new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero).AddMinutes(n),
        ActorId = "u-ther-" + (n % 3),
        ActorRoles = ["Therapist"],
        ClientApplication = "ehr-web",
        PatientId = patientId,
        Action = AuditAction.Read,
        Entity = "Note",
        Categories = ["ProgressNote"],
        Labels = ["PSY"],
        Fields = ["Text"],
        PurposeOfUse = "TREAT",
        ClientAddress = "10.1.2.3",
        RequestId = "req-" + n,
        RecordKeys = [n.ToString(CultureInfo.InvariantCulture)],
        RowCount = 1,
    };

    public List<AuditEntry> Append(int count, Func<int, AuditRecord>? make = null)
    {
        using var context = new AuditDbContext(Options);
        var entries = Enumerable.Range(0, count)
            .Select(_ => AuditEntry.From((make ?? (n => Record(n)))(Interlocked.Increment(ref _appended))))
            .ToList();
        context.Entries.AddRange(entries);
        context.SaveChanges();
        return entries;
    }

    /// <summary>Appends and seals <paramref name="batches"/> × <paramref name="perBatch"/> records: positions 1..n, a checkpoint per batch.</summary>
    public async Task SealAsync(int batches, int perBatch)
    {
        using var signer = LocalDevelopmentCheckpointSigner.OpenOrCreate(KeyPath);
        using var sealer = new AuditSealer(Options, signer, TimeProvider.System);
        for (int b = 0; b < batches; b++)
        {
            Append(perBatch);
            Assert.Equal(perBatch, (await sealer.SealAsync(10_000)).RecordsSealed);
        }
    }

    public List<AuditEntry> Sealed()
    {
        using var context = new AuditDbContext(Options);
        return [.. context.Entries.AsNoTracking().Where(e => e.ChainPosition != null).OrderBy(e => e.ChainPosition)];
    }

    public List<AuditEntry> AuditLogReads()
    {
        using var context = new AuditDbContext(Options);
        return [.. context.Entries.AsNoTracking().Where(e => e.Entity == "hipaa_audit").OrderBy(e => e.Id)];
    }

    /// <summary>Changes the trail as an attacker with database access would; returns the record id the verifier must name, if any.</summary>
    public Guid? Tamper(string kind)
    {
        List<AuditEntry> rows = Sealed();
        switch (kind)
        {
            case "edit":
                Execute("UPDATE hipaa_audit SET actor_id = 'u-someone-else' WHERE chain_position = 7");
                return rows[6].RecordId;
            case "delete":
                Execute("DELETE FROM hipaa_audit WHERE chain_position = 10");
                return null;
            case "insert":
                for (long position = rows.Count; position >= 10; position--)
                {
                    Move(position, position + 1);
                }

                AuditEntry forged = AuditEntry.From(Record(999, "patient-forged"));
                forged.ChainPosition = 10;
                forged.PreviousHash = rows[8].Hash;
                forged.Hash = AuditRecordHasher.ComputeHash(rows[8].Hash, 10, forged);
                forged.SealedAt = DateTimeOffset.UnixEpoch;
                using (var context = new AuditDbContext(Options))
                {
                    context.Entries.Add(forged);
                    context.SaveChanges();
                }

                return forged.RecordId;
            case "reorder":
                Move(5, -1);
                Move(6, 5);
                Move(-1, 6);
                return rows[5].RecordId;
            case "truncate":
                Execute("DELETE FROM hipaa_audit WHERE chain_position >= 15");
                return null;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown tampering.");
        }
    }

    /// <summary>
    /// Edits the record at position 3, recomputes every later hash and re-signs every checkpoint with the key in
    /// <paramref name="attackerKeyPath"/>, keeping the genuine key id on the rows.
    /// </summary>
    public void RewriteAndResign(string attackerKeyPath)
    {
        using var attacker = LocalDevelopmentCheckpointSigner.OpenOrCreate(attackerKeyPath);
        using var context = new AuditDbContext(Options);
        List<AuditEntry> rows = [.. context.Entries.Where(e => e.ChainPosition != null).OrderBy(e => e.ChainPosition)];
        rows[2].ActorId = "u-someone-else";
        byte[] previous = rows[1].Hash!;
        foreach (AuditEntry row in rows.Skip(2))
        {
            row.PreviousHash = previous;
            row.Hash = AuditRecordHasher.ComputeHash(previous, row.ChainPosition!.Value, row);
            previous = row.Hash;
        }

        foreach (AuditCheckpointEntry checkpoint in context.Checkpoints)
        {
            checkpoint.HeadHash = rows.Single(r => r.ChainPosition == checkpoint.Position).Hash!;
            checkpoint.Signature = attacker.Sign(AuditCheckpoint.SignedBytes(checkpoint.Position, checkpoint.HeadHash, checkpoint.CreatedAt));
        }

        context.SaveChanges();
    }

    public void Execute(string sql)
    {
        using DbConnection connection = Provider == "postgres" ? new NpgsqlConnection(ConnectionString) : new SqliteConnection(ConnectionString);
        ExecuteOn(connection, sql);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();
        if (_postgresAdmin is not null)
        {
            ExecuteOn(new NpgsqlConnection(_postgresAdmin), $"DROP DATABASE IF EXISTS \"{_postgresName}\" WITH (FORCE)");
        }

        System.IO.Directory.Delete(_directory, recursive: true);
    }

    private static void ExecuteOn(DbConnection connection, string sql)
    {
        using (connection)
        {
            connection.Open();
            using DbCommand command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
    }

    private void Move(long from, long to) =>
        Execute(string.Create(CultureInfo.InvariantCulture, $"UPDATE hipaa_audit SET chain_position = {to} WHERE chain_position = {from}"));
}
