using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Hipaa.Benchmarks.Auditing;

/// <summary>
/// Diagnostic, PostgreSQL: what one group commit of N audit rows costs the client by the way it is written. A table with
/// the columns and indexes of hipaa_audit (src/Hipaa.EfCore/Auditing/AuditModel.cs), written three ways, one commit per
/// invocation; one operation is one row:
/// <list type="bullet">
/// <item><c>EfNewContext_SaveChanges</c>: a new DbContext per batch, AddRange, SaveChanges — what the SDK's group-commit
/// writer does today.</item>
/// <item><c>Ado_MultiRowInsert</c>: one parameterized multi-row INSERT on a connection kept open, in a transaction.</item>
/// <item><c>Npgsql_BinaryCopy</c>: COPY … FROM STDIN (FORMAT BINARY) on a connection kept open, in a transaction.</item>
/// </list>
/// It uses its own mirror table, not the SDK's internals: it shows what a different insert path would save, not the SDK.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class AuditInsertPathBenchmarks
{
    private static readonly string[] Columns =
    [
        "record_id", "occurred_at", "actor_id", "actor_roles", "client_application", "patient_id", "action", "entity",
        "categories", "labels", "fields", "redacted_fields", "purpose_of_use", "outcome", "client_address", "request_id",
        "break_glass_reason", "recipient", "description", "record_keys", "query_fingerprint", "row_count", "decision",
    ];

    private readonly string _database = "hipaa_bench_insert_" + Environment.ProcessId;
    private DbContextOptions<MirrorDb> _options = null!;
    private NpgsqlDataSource _dataSource = null!;
    private NpgsqlConnection _connection = null!;
    private long _sequence;

    [Params(1, 8, 64)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var connectionString = BenchPostgres.Database(_database, recreate: true);
        _options = new DbContextOptionsBuilder<MirrorDb>().UseNpgsql(connectionString).DangerouslyAllowPhiWithoutHipaa().Options;
        using (var db = new MirrorDb(_options))
        {
            db.Database.EnsureCreated();
        }

        _dataSource = NpgsqlDataSource.Create(connectionString);
        _connection = _dataSource.OpenConnection();
        EfNewContext_SaveChanges();
        Ado_MultiRowInsert();
        Npgsql_BinaryCopy();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _connection.Dispose();
        _dataSource.Dispose();
        BenchPostgres.Drop(_database);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = 1)]
    public void EfNewContext_SaveChanges()
    {
        using var db = new MirrorDb(_options);
        for (var i = 0; i < Batch; i++)
        {
            db.Rows.Add(NewRow());
        }

        db.SaveChanges();
    }

    [Benchmark(OperationsPerInvoke = 1)]
    public void Ado_MultiRowInsert()
    {
        using var transaction = _connection.BeginTransaction();
        using var command = new NpgsqlCommand { Connection = _connection, Transaction = transaction };
        var text = new StringBuilder("INSERT INTO audit_mirror (").AppendJoin(", ", Columns).Append(") VALUES ");
        for (var i = 0; i < Batch; i++)
        {
            var row = NewRow();
            text.Append(i == 0 ? "(" : ", (");
            var values = Values(row);
            for (var c = 0; c < values.Length; c++)
            {
                text.Append(c == 0 ? "$" : ", $").Append(command.Parameters.Count + 1);
                command.Parameters.Add(new NpgsqlParameter { Value = values[c] ?? DBNull.Value });
            }

            text.Append(')');
        }

        command.CommandText = text.ToString();
        command.ExecuteNonQuery();
        transaction.Commit();
    }

    [Benchmark(OperationsPerInvoke = 1)]
    public void Npgsql_BinaryCopy()
    {
        using var transaction = _connection.BeginTransaction();
        using (var writer = _connection.BeginBinaryImport($"COPY audit_mirror ({string.Join(", ", Columns)}) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < Batch; i++)
            {
                var values = Values(NewRow());
                writer.StartRow();
                for (var c = 0; c < values.Length; c++)
                {
                    switch (values[c])
                    {
                        case null:
                            writer.WriteNull();
                            break;
                        case Guid id:
                            writer.Write(id, NpgsqlDbType.Uuid);
                            break;
                        case DateTimeOffset at:
                            writer.Write(at, NpgsqlDbType.TimestampTz);
                            break;
                        case int count:
                            writer.Write(count, NpgsqlDbType.Integer);
                            break;
                        case string text:
                            writer.Write(text, NpgsqlDbType.Text);
                            break;
                    }
                }
            }

            writer.Complete();
        }

        transaction.Commit();
    }

    private MirrorRow NewRow()
    {
        var n = Interlocked.Increment(ref _sequence);
        var now = DateTimeOffset.UtcNow;
        return new MirrorRow
        {
            RecordId = Guid.CreateVersion7(now),
            OccurredAt = now,
            ActorId = "u-ther-1",
            ActorRoles = "Therapist",
            ClientApplication = "hipaa-benchmarks",
            PatientId = "patient-" + (n % 10_000).ToString("D5", CultureInfo.InvariantCulture),
            Action = "Read",
            Entity = "BenchNote",
            Categories = "ProgressNote",
            Labels = string.Empty,
            Fields = "Id\u001fPatientId\u001fWard\u001fWrittenAt\u001fText",
            RedactedFields = string.Empty,
            PurposeOfUse = "TREAT",
            Outcome = "Success",
            ClientAddress = "10.0.0.34",
            RequestId = "bench-request",
            RecordKeys = string.Empty,
            QueryFingerprint = "6f1ed002ab5595859014ebf0951522d9a4a5c6f2f1f7f0a1b2c3d4e5f6a7b8c9",
            RowCount = 1,
        };
    }

    private static object?[] Values(MirrorRow r) =>
    [
        r.RecordId, r.OccurredAt, r.ActorId, r.ActorRoles, r.ClientApplication, r.PatientId, r.Action, r.Entity,
        r.Categories, r.Labels, r.Fields, r.RedactedFields, r.PurposeOfUse, r.Outcome, r.ClientAddress, r.RequestId,
        r.BreakGlassReason, r.Recipient, r.Description, r.RecordKeys, r.QueryFingerprint, r.RowCount, r.Decision,
    ];
}

/// <summary>A row with the columns of hipaa_audit (AuditModel.cs), for <see cref="AuditInsertPathBenchmarks"/>.</summary>
public sealed class MirrorRow
{
    public long Id { get; set; }

    public Guid RecordId { get; set; }

    public DateTimeOffset OccurredAt { get; set; }

    public string ActorId { get; set; } = string.Empty;

    public string ActorRoles { get; set; } = string.Empty;

    public string? ClientApplication { get; set; }

    public string? PatientId { get; set; }

    public string Action { get; set; } = string.Empty;

    public string Entity { get; set; } = string.Empty;

    public string Categories { get; set; } = string.Empty;

    public string Labels { get; set; } = string.Empty;

    public string Fields { get; set; } = string.Empty;

    public string RedactedFields { get; set; } = string.Empty;

    public string PurposeOfUse { get; set; } = string.Empty;

    public string Outcome { get; set; } = string.Empty;

    public string? ClientAddress { get; set; }

    public string? RequestId { get; set; }

    public string? BreakGlassReason { get; set; }

    public string? Recipient { get; set; }

    public string? Description { get; set; }

    public string RecordKeys { get; set; } = string.Empty;

    public string? QueryFingerprint { get; set; }

    public int RowCount { get; set; }

    public string? Decision { get; set; }

    public long? ChainPosition { get; set; }

    public byte[]? PreviousHash { get; set; }

    public byte[]? Hash { get; set; }

    public DateTimeOffset? SealedAt { get; set; }
}

/// <summary>The mirror table's context: the column names and indexes of hipaa_audit.</summary>
public sealed class MirrorDb(DbContextOptions<MirrorDb> options) : DbContext(options)
{
    public DbSet<MirrorRow> Rows => Set<MirrorRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<MirrorRow>(entry =>
        {
            entry.ToTable("audit_mirror");
            foreach (var property in entry.Metadata.GetDeclaredProperties())
            {
                property.SetColumnName(string.Concat(property.Name.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString())));
            }

            entry.HasIndex(e => e.RecordId).IsUnique();
            entry.HasIndex(e => new { e.PatientId, e.OccurredAt });
            entry.HasIndex(e => e.ChainPosition).IsUnique();
            entry.HasIndex(e => e.SealedAt);
        });
    }
}
