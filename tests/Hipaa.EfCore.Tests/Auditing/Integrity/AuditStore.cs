using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Auditing.Integrity;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Hipaa.EfCore.Tests.Auditing.Integrity;

/// <summary>
/// The audit tables in a fresh database, with rows appended directly through <see cref="AuditDbContext"/> as the capture
/// side would, a development signer, a fake clock, and the sealer and verifier over them.
/// </summary>
internal sealed class AuditStore : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);

    private readonly string _keyDirectory = Directory.CreateTempSubdirectory("hipaa-audit-key-").FullName;
    private int _appended;

    public AuditStore(string provider)
    {
        Database = TestDatabase.Create(provider);
        var builder = new DbContextOptionsBuilder<AuditDbContext>();
        Database.Use(builder);
        Options = builder.Options;
        using (var context = new AuditDbContext(Options))
        {
            context.Database.EnsureCreated();
        }

        Signer = LocalDevelopmentCheckpointSigner.OpenOrCreate(KeyPath);
    }

    public TestDatabase Database { get; }

    public DbContextOptions<AuditDbContext> Options { get; }

    public FakeTimeProvider Time { get; } = new(Start);

    public LocalDevelopmentCheckpointSigner Signer { get; }

    public string KeyPath => Path.Combine(_keyDirectory, "audit-signing.pem");

    public string KeyDirectory => _keyDirectory;

    public static AuditRecord Record(int n, string patientId = "patient-1", DateTimeOffset? occurredAt = null) => new()
    {
        RecordId = Guid.NewGuid(),
        OccurredAt = occurredAt ?? Start.AddSeconds(n),
        ActorId = "u-ther-" + (n % 3),
        ActorRoles = ["Therapist"],
        ClientApplication = "ehr-web",
        PatientId = patientId,
        Action = AuditAction.Read,
        Entity = "Note",
        Categories = ["ProgressNote"],
        Labels = ["PSY"],
        Fields = ["Text", "WrittenAt"],
        PurposeOfUse = "TREAT",
        ClientAddress = "10.1.2.3",
        RequestId = "req-" + n,
        RecordKeys = [n.ToString(System.Globalization.CultureInfo.InvariantCulture)],
        RowCount = 1,
    };

    /// <summary>Appends <paramref name="count"/> unsealed rows, as the capture interceptors do.</summary>
    public List<AuditEntry> Append(int count, Func<int, AuditRecord>? make = null)
    {
        var entries = new List<AuditEntry>();
        using var context = new AuditDbContext(Options);
        for (int i = 0; i < count; i++)
        {
            int n = Interlocked.Increment(ref _appended);
            entries.Add(AuditEntry.From((make ?? (k => Record(k)))(n)));
        }

        context.Entries.AddRange(entries);
        context.SaveChanges();
        return entries;
    }

    public AuditSealer Sealer() => new(Options, Signer, Time);

    /// <summary>Appends and seals <paramref name="batches"/> batches of <paramref name="perBatch"/> rows (one checkpoint each).</summary>
    public async Task AppendAndSealAsync(int batches, int perBatch)
    {
        using var sealer = Sealer();
        for (int b = 0; b < batches; b++)
        {
            Append(perBatch);
            Time.Advance(TimeSpan.FromSeconds(1));
            AuditSealResult result = await sealer.SealAsync(1_000);
            Assert.Equal(perBatch, result.RecordsSealed);
        }
    }

    public async Task<AuditVerificationResult> VerifyAsync(
        IReadOnlyList<AuditCheckpoint>? exported = null,
        bool checkSignatures = true,
        int batchSize = 7,
        bool allowEmptyTrail = false,
        bool insecureAcceptUnanchored = false)
    {
        using CheckpointSignatureVerifier? keys = checkSignatures ? CheckpointSignatureVerifier.FromSigner(Signer) : null;
        var verifier = new AuditVerifier(Options, Time, new AuditVerificationOptions
        {
            Signatures = keys,
            ExportedCheckpoints = exported ?? [],
            BatchSize = batchSize,
            AllowEmptyTrail = allowEmptyTrail,
            InsecureAcceptUnanchored = insecureAcceptUnanchored,
        });
        return await verifier.VerifyAsync();
    }

    public List<AuditEntry> Sealed()
    {
        using var context = new AuditDbContext(Options);
        return [.. context.Entries.AsNoTracking().Where(e => e.ChainPosition != null).OrderBy(e => e.ChainPosition)];
    }

    public List<AuditCheckpointEntry> Checkpoints()
    {
        using var context = new AuditDbContext(Options);
        return [.. context.Checkpoints.AsNoTracking().OrderBy(c => c.Position)];
    }

    public async Task<IReadOnlyList<AuditCheckpoint>> ExportCheckpointsAsync()
    {
        using var writer = new StringWriter();
        await AuditCheckpointFile.ExportAsync(Options, writer);
        using var reader = new StringReader(writer.ToString());
        return await AuditCheckpointFile.ReadAsync(reader, "exported file checkpoints.jsonl");
    }

    public int Sql(string sql, params (string Name, object? Value)[] parameters) => Database.Execute(sql, parameters);

    /// <summary>Moves the row at <paramref name="from"/> to <paramref name="to"/> (a free position) with plain SQL.</summary>
    public void MovePosition(long from, long to) =>
        Sql("UPDATE hipaa_audit SET chain_position = @to WHERE chain_position = @from", ("@to", to), ("@from", from));

    /// <summary>Swaps the positions of two rows, as an attacker reordering the table would.</summary>
    public void SwapPositions(long a, long b)
    {
        MovePosition(a, -1);
        MovePosition(b, a);
        MovePosition(-1, b);
    }

    public void Dispose()
    {
        Signer.Dispose();
        Database.Dispose();
        Directory.Delete(_keyDirectory, recursive: true);
    }
}
