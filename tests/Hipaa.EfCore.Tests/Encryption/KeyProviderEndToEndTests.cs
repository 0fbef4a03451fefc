using Hipaa.Azure;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Hipaa.Pkcs11;
using Hipaa.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.Tests.Encryption;

/// <summary>Field encryption through EF Core with each production KEK provider: a SoftHSM2 token, and Azure.Core's contract.</summary>
public sealed class KeyProviderEndToEndTests : IDisposable
{
    private readonly TestDatabase _database = TestDatabase.Create("sqlite");

    public void Dispose() => _database.Dispose();

    [Pkcs11Fact]
    public async Task Pkcs11Kek_WriteThenReadFromAFreshInstance_RoundTripsAndTheKeyStaysInTheToken()
    {
        var options = new Pkcs11KeyEncryptionKeyOptions
        {
            LibraryPath = TestEnvironment.RequirePkcs11Library(),
            TokenLabel = TestEnvironment.Pkcs11TokenLabel,
            UserPin = TestEnvironment.Pkcs11Pin,
            KeyLabel = "efcore-e2e-" + Guid.NewGuid().ToString("N")[..8],
        };
        var patient = new Patient { Id = Guid.NewGuid(), DisplayName = "hsm", Ssn = "123-45-6789", Mrn = "MRN-HSM" };
        using (var kek = new Pkcs11KeyEncryptionKey(options))
        {
            Assert.StartsWith("pkcs11:", kek.KeyId, StringComparison.Ordinal);
            using var writer = Host(kek, KeyWrapAlgorithm.AesKeyWrap256);
            await using var context = writer.CreateContext();
            context.Add(patient);
            await context.SaveChangesAsync();
        }

        using (var kek = new Pkcs11KeyEncryptionKey(options))
        using (var reader = Host(kek, KeyWrapAlgorithm.AesKeyWrap256))
        await using (var context = reader.CreateContext())
        {
            var read = await context.Patients.SingleAsync(p => p.Mrn == "MRN-HSM");
            Assert.Equal(patient.Ssn, read.Ssn);
        }
    }

    [Fact]
    public async Task AzureCoreKek_ThroughTheAdapter_EncryptsAndDecrypts()
    {
        var inner = new CountingKeyEncryptionKey("https://vault.example/keys/kek/1");
        var azureKey = new KeyVaultLikeKey(inner);                 // what Key Vault's CryptographyClient looks like to us
        var patient = new Patient { Id = Guid.NewGuid(), DisplayName = "kv", Ssn = "987-65-4321" };
        using (var host = Host(azureKey.AsHipaaKeyEncryptionKey(), KeyWrapAlgorithm.RsaOaep256))
        await using (var context = host.CreateContext())
        {
            context.Add(patient);
            await context.SaveChangesAsync();
        }

        using (var host = Host(azureKey.AsHipaaKeyEncryptionKey(), KeyWrapAlgorithm.RsaOaep256))
        await using (var context = host.CreateContext())
        {
            Assert.Equal(patient.Ssn, (await context.Patients.SingleAsync()).Ssn);
        }

        Assert.Equal(1, inner.Wraps);
        Assert.Equal(1, inner.Unwraps);
    }

    private EncryptionHost Host(IKeyEncryptionKey kek, string algorithm) => new(_database, kek, algorithm: algorithm);

    /// <summary>An Azure.Core key-encryption key, as Key Vault's CryptographyClient implements it (that package is not served here).</summary>
    private sealed class KeyVaultLikeKey(CountingKeyEncryptionKey inner) : global::Azure.Core.Cryptography.IKeyEncryptionKey
    {
        public string KeyId => inner.KeyId;

        public byte[] WrapKey(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) =>
            algorithm == KeyWrapAlgorithm.RsaOaep256 ? inner.WrapKey(algorithm, key, cancellationToken) : throw new ArgumentException($"Unsupported {algorithm}.");

        public Task<byte[]> WrapKeyAsync(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) =>
            Task.FromResult(WrapKey(algorithm, key, cancellationToken));

        public byte[] UnwrapKey(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default) =>
            algorithm == KeyWrapAlgorithm.RsaOaep256 ? inner.UnwrapKey(algorithm, encryptedKey, cancellationToken) : throw new ArgumentException($"Unsupported {algorithm}.");

        public Task<byte[]> UnwrapKeyAsync(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default) =>
            Task.FromResult(UnwrapKey(algorithm, encryptedKey, cancellationToken));
    }
}
