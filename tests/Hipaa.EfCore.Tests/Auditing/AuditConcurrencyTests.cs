using System.Diagnostics;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.LoadDriver;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Auditing;

/// <summary>The audit trail under concurrent writers, separate processes and a process killed mid-work.</summary>
public abstract class AuditConcurrencyTests : IDisposable
{
    private readonly TestDatabase _database;
    private readonly string _provider;

    protected AuditConcurrencyTests(string provider)
    {
        _provider = provider;
        _database = TestDatabase.Create(provider);
        using var host = new LoadHost(provider, _database.ConnectionString);
        using var context = host.CreateContext();
        context.Database.EnsureCreated();
    }

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task EightWritersTwoThousandMixedOperations_EveryOperationIsRecordedExactlyOnce()
    {
        const int writers = 8;
        const int operations = 2_000;
        using var host = new LoadHost(_provider, _database.ConnectionString);
        var written = new int[writers];
        var read = new int[writers];
        await Task.WhenAll(Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
        {
            using var scope = AccessContext.Begin(AccessContext.ForSystem("writer-" + writer, PurposeOfUse.Operations));
            var mine = new List<Guid>();
            for (var i = 0; i < operations; i++)
            {
                await using var context = host.CreateContext();
                if (mine.Count == 0 || i % 2 == 0)
                {
                    var note = new LoadNote { Id = Guid.NewGuid(), PatientId = $"w{writer}-p{i % 5}", Text = "n" };
                    context.Notes.Add(note);
                    await context.SaveChangesAsync();
                    mine.Add(note.Id);
                    written[writer]++;
                }
                else
                {
                    var id = mine[i % mine.Count];
                    Assert.Equal(id, (await context.Notes.AsNoTracking().SingleAsync(n => n.Id == id)).Id);
                    read[writer]++;
                }
            }
        })));

        var records = Records();
        for (var writer = 0; writer < writers; writer++)
        {
            var actor = "system:writer-" + writer;
            Assert.Equal(written[writer], records.Count(r => r.ActorId == actor && r.Action == AuditAction.Create));
            Assert.Equal(read[writer], records.Count(r => r.ActorId == actor && r.Action == AuditAction.Read));
        }

        Assert.Equal(writers * operations, records.Count);
        Assert.Equal(records.Count, records.Select(r => r.RecordId).Distinct().Count());
        Assert.Equal(written.Sum(), CountNotes());

        // Sealed into one chain that verifies, every record exactly once.
        await SealAllAsync();
        var verified = await VerifyAsync();
        Assert.True(verified.IsValid, verified.Problem?.Message);
        Assert.Equal((writers * operations, 0L), (verified.RecordsVerified, verified.UnsealedRecords));
    }

    [Fact]
    public async Task TwoProcesses_WritingToOneDatabase_LoseNoRecord()
    {
        var first = StartDriver("a", 150);
        var second = StartDriver("b", 150);
        await Task.WhenAll(WaitForExitAsync(first), WaitForExitAsync(second));
        Assert.Equal((0, 0), (first.ExitCode, second.ExitCode));

        var records = Records();
        foreach (var actor in new[] { "system:load-a", "system:load-b" })
        {
            Assert.Equal(150, records.Count(r => r.ActorId == actor && r.Action == AuditAction.Create));
            Assert.Equal(150, records.Count(r => r.ActorId == actor && r.Action == AuditAction.Read));
        }

        Assert.Equal(300, CountNotes());

        // Both processes sealed while they ran and on shutdown: one chain, nothing left unsealed.
        var verified = await VerifyAsync();
        Assert.True(verified.IsValid, verified.Problem?.Message);
        Assert.Equal((600L, 0L), (verified.RecordsVerified, verified.UnsealedRecords));
    }

    [Fact]
    public async Task ProcessKilledMidWork_NoCommittedWriteLacksItsAuditRecord()
    {
        var driver = StartDriver("crash", 100_000);
        var ready = await driver.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal("ready", ready);
        await Task.Delay(TimeSpan.FromMilliseconds(700));
        driver.Kill(entireProcessTree: true);
        await WaitForExitAsync(driver);

        var noteIds = NoteIds();
        Assert.NotEmpty(noteIds);
        var created = Records().Where(r => r.Action == AuditAction.Create).SelectMany(r => r.RecordKeys.Split(AuditEntry.ListSeparator)).ToHashSet();
        Assert.All(noteIds, id => Assert.Contains(id, created));
        Assert.Equal(noteIds.Count, created.Count);
    }

    private Process StartDriver(string writer, int operations)
    {
        var driver = typeof(LoadNote).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { driver, _provider, _database.ConnectionString, writer, operations.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("The load driver did not start.");
    }

    private static async Task WaitForExitAsync(Process process)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
    }

    private async Task SealAllAsync()
    {
        using var sealer = new Hipaa.EfCore.Auditing.Integrity.AuditSealer(AuditOptions(), Hipaa.EfCore.Auditing.Integrity.LocalDevelopmentCheckpointSigner.OpenOrCreate(LoadHost.SignerPath), TimeProvider.System);
        while ((await sealer.SealAsync(5_000)).RecordsSealed > 0)
        {
        }
    }

    private async Task<Hipaa.EfCore.Auditing.Integrity.AuditVerificationResult> VerifyAsync()
    {
        using var signer = Hipaa.EfCore.Auditing.Integrity.LocalDevelopmentCheckpointSigner.OpenOrCreate(LoadHost.SignerPath);
        using var keys = Hipaa.EfCore.Auditing.Integrity.CheckpointSignatureVerifier.FromSigner(signer);
        var settings = new Hipaa.EfCore.Auditing.Integrity.AuditVerificationOptions { Signatures = keys };
        return await new Hipaa.EfCore.Auditing.Integrity.AuditVerifier(AuditOptions(), TimeProvider.System, settings).VerifyAsync();
    }

    private DbContextOptions<AuditDbContext> AuditOptions()
    {
        var options = new DbContextOptionsBuilder<AuditDbContext>();
        _database.Use(options);
        return options.Options;
    }

    private List<AuditEntry> Records()
    {
        var options = new DbContextOptionsBuilder<AuditDbContext>();
        _database.Use(options);
        using var audit = new AuditDbContext(options.Options);
        return [.. audit.Entries.AsNoTracking()];
    }

    private int CountNotes() => NoteIds().Count;

    private List<string> NoteIds()
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"Id\" FROM \"Notes\"";
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetFieldValue<Guid>(0).ToString());
        }

        return ids;
    }
}

public sealed class SqliteAuditConcurrencyTests() : AuditConcurrencyTests("sqlite");

public sealed class PostgresAuditConcurrencyTests() : AuditConcurrencyTests("postgres");
