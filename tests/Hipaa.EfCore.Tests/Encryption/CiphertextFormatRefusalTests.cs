using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Hipaa.EfCore.Tests.Encryption;

/// <summary>
/// After <c>ReencryptAsync</c> has rewritten every format 1 value, an application can refuse format 1
/// (<see cref="FieldEncryptionOptions.AcceptedCiphertextFormats"/> = Version2): format 1 does not bind the table's schema,
/// so a value copied from <c>archive."Patients"</c> would otherwise still decrypt. The default still reads format 1.
/// SQLite and PostgreSQL.
/// </summary>
public abstract class CiphertextFormatRefusalTests : IDisposable
{
    private const string Ssn = "SSN-CANARY-4242";

    private readonly TestDatabase _database;
    private readonly CountingKeyEncryptionKey _kek = new("kek-format");
    private readonly Patient _patient = new() { Id = Guid.NewGuid(), DisplayName = "P", Ssn = Ssn, Mrn = "MRN-CANARY-FMT" };

    protected CiphertextFormatRefusalTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Read_Version1ValueWhenOnlyVersion2IsAccepted_FailsWithFormatRefusedAndNoPlaintext()
    {
        using (var writer = new EncryptionHost(_database, _kek))
        {
            await SaveAsync(writer);
            WriteSsnAsVersion1(writer);
            await using var compatible = writer.CreateContext();
            Assert.Equal(Ssn, (await compatible.Patients.AsNoTracking().SingleAsync(p => p.Id == _patient.Id)).Ssn); // the default reads it
        }

        using var strict = new EncryptionHost(_database, _kek, o => o.AcceptedCiphertextFormats = CiphertextFormatVersions.Version2);
        await using var context = strict.CreateContext();
        var refused = await Assert.ThrowsAsync<FieldDecryptionException>(() => context.Patients.AsNoTracking().SingleAsync(p => p.Id == _patient.Id));

        Assert.Equal(FieldDecryptionFailure.FormatRefused, refused.Failure);
        Assert.Equal(("Patient", "Ssn"), (refused.Entity, refused.Property));
        Assert.Contains("format version 1", refused.Message, StringComparison.Ordinal);
        Assert.Contains("AcceptedCiphertextFormats", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Ssn, refused.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReencryptAsyncThenRefusingVersion1_EveryValueStillReads()
    {
        using (var writer = new EncryptionHost(_database, _kek))
        {
            await SaveAsync(writer);
            WriteSsnAsVersion1(writer);
            await using var rewrite = writer.CreateContext();
            Assert.Equal(1, (await writer.Keys.ReencryptAsync(rewrite)).ValuesRewritten);
        }

        using var strict = new EncryptionHost(_database, _kek, o => o.AcceptedCiphertextFormats = CiphertextFormatVersions.Version2);
        await using var context = strict.CreateContext();
        var read = await context.Patients.AsNoTracking().SingleAsync(p => p.Id == _patient.Id);
        Assert.Equal((Ssn, "MRN-CANARY-FMT"), (read.Ssn, read.Mrn));
        Assert.All(_database.ReadColumn("Patients", "Ssn"), v => Assert.Equal(FieldCiphertext.FormatVersion2, v![0]));
    }

    [Fact]
    public void AcceptedCiphertextFormats_WithoutVersion2_FailsAtStartUpNamingTheOption()
    {
        var services = new ServiceCollection();
        services.AddHipaa()
            .AddFieldEncryption(o => o.AcceptedCiphertextFormats = CiphertextFormatVersions.Version1)
            .UseKeyEncryptionKey(_ => _kek, KeyWrapAlgorithm.AesGcmKeyWrap256)
            .UseKeyStore(_database.Use);
        using var provider = services.BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<FieldEncryptionOptions>>().Value);

        Assert.Contains("AcceptedCiphertextFormats is 1", failure.Message, StringComparison.Ordinal);
    }

    private async Task SaveAsync(EncryptionHost host)
    {
        await using var context = host.CreateContext();
        context.Add(new Patient { Id = _patient.Id, DisplayName = _patient.DisplayName, Ssn = _patient.Ssn, Mrn = _patient.Mrn });
        await context.SaveChangesAsync();
    }

    /// <summary>Replaces the stored SSN with the same plaintext in format version 1, as versions before format 2 wrote it.</summary>
    private void WriteSsnAsVersion1(EncryptionHost host)
    {
        var runtime = host.Runtime;
        using var context = host.CreateContext();
        var model = runtime.GetModel(context.Model.FindEntityType(typeof(Patient))!)!;
        var property = model.FindProperty(nameof(Patient.Ssn))!;
        var key = runtime.KeyRing.GetEncryptionKey(runtime.ScopeFor(model, property, _patient.Id.ToString("D")));
        var stored = FieldCipher.EncryptAsVersion1ForCompatibilityTests(key, property.Codec, Ssn, new FieldBinding(property.Binding, _patient.Id, _patient.Id));
        Assert.Equal(1, _database.Execute($"UPDATE \"Patients\" SET \"{property.Column}\" = @stored WHERE \"DisplayName\" = @name", ("@stored", stored), ("@name", _patient.DisplayName)));
    }
}

public sealed class SqliteCiphertextFormatRefusalTests() : CiphertextFormatRefusalTests("sqlite");

public sealed class PostgresCiphertextFormatRefusalTests() : CiphertextFormatRefusalTests("postgres");
