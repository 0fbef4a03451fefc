using System.Text;
using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Encryption;

/// <summary>
/// No plaintext in exceptions or logs: every test captures the application's logs at Trace level (EF Core's included)
/// and the full exception chain (messages, ToString(), Data, inner exceptions), and scans them for canary values.
/// </summary>
public abstract class PlaintextLeakTests : IDisposable
{
    private readonly TestDatabase _database;
    private readonly CountingKeyEncryptionKey _kek = new("kek-leaks");
    private readonly CapturingLoggerProvider _logs = new();

    protected PlaintextLeakTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task LegacyPlaintext_ThatDoesNotParse_AppearsInNoExceptionAndNoLog()
    {
        using var host = Host(o => o.AllowPlaintextReadsDuringMigration = true);
        _database.Execute(
            "INSERT INTO \"Patients\" (\"Id\", \"DisplayName\", \"BirthDate\", \"ExternalNumber\") VALUES (@id, 'legacy', @birth, @number)",
            ("@id", Guid.NewGuid()),
            ("@birth", Encoding.UTF8.GetBytes("CANARY-BIRTH-4711")),
            ("@number", Encoding.UTF8.GetBytes("CANARYNUM4711")));

        await using var context = host.CreateContext();
        var read = await Assert.ThrowsAsync<FieldDecryptionException>(() => context.Patients.ToListAsync());
        Assert.Equal(FieldDecryptionFailure.Malformed, read.Failure);
        Assert.Equal("Patient", read.Entity);
        context.ChangeTracker.Clear();
        var migration = await Assert.ThrowsAsync<FieldDecryptionException>(() => host.Keys.EncryptExistingDataAsync(context));
        Assert.Equal(FieldDecryptionFailure.Malformed, migration.Failure);

        string[] canaries = ["CANARY-BIRTH", "CANARYNUM"];
        CapturingLoggerProvider.AssertNoCanary(CapturingLoggerProvider.TextsOf(read), canaries);
        CapturingLoggerProvider.AssertNoCanary(CapturingLoggerProvider.TextsOf(migration), canaries);
        Assert.Contains(_logs.Entries, e => e.Text.Contains("FieldDecryptionException", StringComparison.Ordinal)); // EF logged the failure
        CapturingLoggerProvider.AssertNoCanary(_logs.Texts(), canaries);
    }

    [Fact]
    public async Task UnsupportedFormat_MessageDoesNotRepeatTheStoredBytes()
    {
        using var host = Host();

        // Plaintext long enough to be taken for a ciphertext of an unknown format: its first bytes are 'Q' (81) and 'X' (88).
        _database.Execute(
            "INSERT INTO \"Patients\" (\"Id\", \"DisplayName\", \"Ssn\") VALUES (@id, 'legacy', @ssn)",
            ("@id", Guid.NewGuid()),
            ("@ssn", Encoding.UTF8.GetBytes("QX-CANARY-SSN-0042 and the rest of a long legacy plaintext value")));

        await using var context = host.CreateContext();
        var failure = await Assert.ThrowsAsync<FieldDecryptionException>(() => context.Patients.ToListAsync());
        Assert.Equal(FieldDecryptionFailure.UnsupportedFormat, failure.Failure);
        var messages = CapturingLoggerProvider.TextsOf(failure).Where((_, i) => i % 2 == 0).ToList(); // "Type: Message" of each exception
        CapturingLoggerProvider.AssertNoCanary(messages, "81", "88", "0x51", "0x58", "CANARY");
        CapturingLoggerProvider.AssertNoCanary(CapturingLoggerProvider.TextsOf(failure), "CANARY");
        CapturingLoggerProvider.AssertNoCanary(_logs.Texts(), "CANARY");
    }

    [Fact]
    public async Task Search_ByVariable_KeepsTheValueOutOfEveryLog()
    {
        using var host = Host();
        await using (var context = host.CreateContext())
        {
            context.Add(new Patient { Id = Guid.NewGuid(), DisplayName = "A", Mrn = "CANARY-MRN-VAR-1", ExternalNumber = 471147 });
            await context.SaveChangesAsync();
        }

        await using (var context = host.CreateContext())
        {
            var mrn = "CANARY-MRN-VAR-1";
            var number = 471147;
            Assert.Single(await context.Patients.Where(p => p.Mrn == mrn).ToListAsync());
            Assert.Single(await context.Patients.Where(p => p.ExternalNumber == number).Select(p => p.Id).ToListAsync());
            Assert.Empty(await context.Patients.Where(p => p.Mrn == "CANARY" + number).ToListAsync()); // an expression of variables is a parameter too
        }

        Assert.Contains(_logs.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Debug && e.Category.StartsWith("Microsoft.EntityFrameworkCore.Query", StringComparison.Ordinal));
        CapturingLoggerProvider.AssertNoCanary(_logs.Texts(), "CANARY", "471147");
    }

    [Fact]
    public async Task Search_ByConstant_WarnsWithoutTheValueAndOnlyEfCoreDebugLogPrintsIt()
    {
        using var host = Host();
        await using var context = host.CreateContext();
        Assert.Empty(await context.Patients.Where(p => p.Mrn == "CANARY-MRN-CONST-2").ToListAsync());
        Assert.Empty(await context.Patients.Where(p => p.Mrn == null).ToListAsync()); // null is no value: no warning

        var warning = Assert.Single(_logs.Entries, e => e.EventId.Id == 1201);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
        Assert.Contains("Patient.Mrn", warning.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("CANARY", warning.Text, StringComparison.Ordinal);

        // EF Core prints the expression it compiles (event 10111, Debug) before any interceptor runs: that is the one place
        // a constant appears, which is why the docs (and warning 1201) say to pass a variable. Nothing of ours prints it.
        Assert.All(
            _logs.Entries.Where(e => e.Text.Contains("CANARY", StringComparison.Ordinal)),
            e => Assert.Equal((10111, Microsoft.Extensions.Logging.LogLevel.Debug), (e.EventId.Id, e.Level)));
    }

    private EncryptionHost Host(Action<FieldEncryptionOptions>? configure = null) =>
        new(_database, _kek, configure, logs: _logs);
}

public sealed class SqlitePlaintextLeakTests() : PlaintextLeakTests("sqlite");

public sealed class PostgresPlaintextLeakTests() : PlaintextLeakTests("postgres");
