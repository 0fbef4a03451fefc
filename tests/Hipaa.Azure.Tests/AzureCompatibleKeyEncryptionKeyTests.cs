using System.Security.Cryptography;
using Hipaa.Encryption;
using AzureKek = Azure.Core.Cryptography.IKeyEncryptionKey;
using AzureKekResolver = Azure.Core.Cryptography.IKeyEncryptionKeyResolver;

namespace Hipaa.Azure.Tests;

/// <summary>The other direction: Hipaa.Sdk keys and resolvers used where Azure.Core's interfaces are expected.</summary>
public sealed class AzureCompatibleKeyEncryptionKeyTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hipaa-azure-tests-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
    private readonly LocalDevelopmentKeyEncryptionKey _devKey;

    public AzureCompatibleKeyEncryptionKeyTests()
    {
        _devKey = LocalDevelopmentKeyEncryptionKey.OpenOrCreate(Path.Combine(_directory, "dev.key"));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task HipaaKey_AsAzureKey_RoundTripsSyncAndAsync()
    {
        AzureKek azure = _devKey.AsAzureKeyEncryptionKey();
        byte[] dek = RandomNumberGenerator.GetBytes(32);

        Assert.IsType<AzureCompatibleKeyEncryptionKey>(azure);
        Assert.Equal(_devKey.KeyId, azure.KeyId);
        Assert.Equal(dek, azure.UnwrapKey(KeyWrapAlgorithm.AesGcmKeyWrap256, azure.WrapKey(KeyWrapAlgorithm.AesGcmKeyWrap256, dek)));
        byte[] wrapped = await azure.WrapKeyAsync(KeyWrapAlgorithm.AesGcmKeyWrap256, dek);
        Assert.Equal(dek, await azure.UnwrapKeyAsync(KeyWrapAlgorithm.AesGcmKeyWrap256, wrapped));
        Assert.Equal(dek, _devKey.UnwrapKey(KeyWrapAlgorithm.AesGcmKeyWrap256, wrapped));
    }

    [Fact]
    public void HipaaKey_AsAzureKey_ForwardsExceptionsUnchanged()
    {
        AzureKek azure = _devKey.AsAzureKeyEncryptionKey();
        byte[] wrapped = azure.WrapKey(KeyWrapAlgorithm.AesGcmKeyWrap256, new byte[32]);
        wrapped[^1] ^= 1;

        Assert.Throws<CryptographicException>(() => azure.UnwrapKey(KeyWrapAlgorithm.AesGcmKeyWrap256, wrapped));
        Assert.Throws<ArgumentException>(() => azure.WrapKey(KeyWrapAlgorithm.AesKeyWrap256, new byte[32]));
    }

    [Fact]
    public void Conversions_BackAndForth_ReturnTheOriginalObject()
    {
        var azureKey = new FakeAzureKeyEncryptionKey("https://contoso.vault.azure.net/keys/kek/1");
        var azureResolver = new FakeAzureKeyEncryptionKeyResolver(azureKey);

        Assert.Same(azureKey, azureKey.AsHipaaKeyEncryptionKey().AsAzureKeyEncryptionKey());
        Assert.Same(_devKey, _devKey.AsAzureKeyEncryptionKey().AsHipaaKeyEncryptionKey());
        Assert.Same(azureResolver, azureResolver.AsHipaaKeyEncryptionKeyResolver().AsAzureKeyEncryptionKeyResolver());
        var hipaaResolver = new SingleKeyResolver(_devKey);
        Assert.Same(hipaaResolver, hipaaResolver.AsAzureKeyEncryptionKeyResolver().AsHipaaKeyEncryptionKeyResolver());
    }

    [Fact]
    public async Task HipaaResolver_AsAzureResolver_ResolvesByIdAndPassesTheTokenThrough()
    {
        var hipaaResolver = new SingleKeyResolver(_devKey);
        AzureKekResolver azure = hipaaResolver.AsAzureKeyEncryptionKeyResolver();
        using var cts = new CancellationTokenSource();

        AzureKek key = azure.Resolve(_devKey.KeyId, cts.Token);
        Assert.Equal(cts.Token, hipaaResolver.LastToken);
        AzureKek keyAsync = await azure.ResolveAsync(_devKey.KeyId, cts.Token);

        Assert.Equal(_devKey.KeyId, key.KeyId);
        Assert.Same(_devKey, Assert.IsType<AzureCompatibleKeyEncryptionKey>(keyAsync).Key);
        Assert.Throws<KeyNotFoundException>(() => azure.Resolve("other"));
    }

    [Fact]
    public void Arguments_AreGuarded()
    {
        Assert.Throws<ArgumentNullException>(() => new AzureCompatibleKeyEncryptionKey(null!));
        Assert.Throws<ArgumentNullException>(() => new AzureCompatibleKeyEncryptionKeyResolver(null!));
        Assert.Throws<ArgumentNullException>(() => ((IKeyEncryptionKey)null!).AsAzureKeyEncryptionKey());
        Assert.Throws<ArgumentNullException>(() => ((AzureKek)null!).AsHipaaKeyEncryptionKey());
        Assert.Throws<ArgumentNullException>(() => ((IKeyEncryptionKeyResolver)null!).AsAzureKeyEncryptionKeyResolver());
        Assert.Throws<ArgumentNullException>(() => ((AzureKekResolver)null!).AsHipaaKeyEncryptionKeyResolver());
    }

    private sealed class SingleKeyResolver(IKeyEncryptionKey key) : IKeyEncryptionKeyResolver
    {
        public CancellationToken LastToken { get; private set; }

        public IKeyEncryptionKey Resolve(string keyId, CancellationToken cancellationToken = default)
        {
            LastToken = cancellationToken;
            return keyId == key.KeyId ? key : throw new KeyNotFoundException(keyId);
        }

        public Task<IKeyEncryptionKey> ResolveAsync(string keyId, CancellationToken cancellationToken = default) =>
            Task.FromResult(Resolve(keyId, cancellationToken));
    }
}
