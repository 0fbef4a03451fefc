using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Encryption;

/// <summary>
/// Key operations as an attacker or an unlucky operator meets them (issue 9): a shred named in another spelling, a shred
/// of nothing. Run against SQLite and against the real PostgreSQL.
/// </summary>
public abstract class FieldEncryptionKeyManagerTests : IDisposable
{
    private readonly TestDatabase _database;
    private readonly CountingKeyEncryptionKey _kek = new("kek-manager");

    protected FieldEncryptionKeyManagerTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    // ---- Finding 4: a shred that does nothing ----

    [Fact]
    public async Task ShredAsync_PatientIdInUpperCase_ShredsThePatientTheWritesUsed()
    {
        using var host = Host();
        var patient = await SavePatientAsync(host);

        var destroyed = await host.Keys.ShredAsync(DataKeyScope.ForPatient(patient.Id.ToString().ToUpperInvariant()));

        Assert.Equal(1, destroyed);
        using var fresh = Host();
        await using var context = fresh.CreateContext();
        var failure = await Assert.ThrowsAsync<FieldDecryptionException>(() => context.Patients.Where(p => p.Id == patient.Id).ToListAsync());
        Assert.Equal(FieldDecryptionFailure.KeyDestroyed, failure.Failure);
    }

    [Fact]
    public async Task ShredAsync_ScopeWithNoKey_ThrowsSayingNothingWasShredded()
    {
        using var host = Host();
        var patient = await SavePatientAsync(host);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Keys.ShredAsync(DataKeyScope.ForPatient(Guid.NewGuid())));

        Assert.Contains("nothing was shredded", failure.Message, StringComparison.OrdinalIgnoreCase);
        await using var context = host.CreateContext();
        Assert.Equal(patient.Ssn, (await context.Patients.SingleAsync(p => p.Id == patient.Id)).Ssn);
    }

    [Fact]
    public async Task ShredAsync_TheSamePatientTwice_SecondCallDestroysNothingAndDoesNotThrow()
    {
        using var host = Host();
        var patient = await SavePatientAsync(host);

        Assert.Equal(1, await host.Keys.ShredAsync(DataKeyScope.ForPatient(patient.Id)));
        Assert.Equal(0, await host.Keys.ShredAsync(DataKeyScope.ForPatient(patient.Id)));
    }

    private EncryptionHost Host(Action<FieldEncryptionOptions>? configure = null, TimeProvider? time = null) =>
        new(_database, _kek, configure, time);

    private static async Task<Patient> SavePatientAsync(EncryptionHost host)
    {
        var patient = new Patient { Id = Guid.NewGuid(), DisplayName = "J. Doe", Ssn = "123-45-6789", Mrn = "MRN-" + Guid.NewGuid().ToString("N")[..8] };
        await using var context = host.CreateContext();
        context.Add(patient);
        await context.SaveChangesAsync();
        return patient;
    }
}

public sealed class SqliteFieldEncryptionKeyManagerTests() : FieldEncryptionKeyManagerTests("sqlite");

public sealed class PostgresFieldEncryptionKeyManagerTests() : FieldEncryptionKeyManagerTests("postgres");
