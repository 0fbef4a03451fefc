using System.Security.Cryptography;
using Hipaa.Encryption;
using RequestFailedException = Azure.RequestFailedException;

namespace Hipaa.Azure.Tests;

public sealed class AzureKeyEncryptionKeyResolverTests
{
    private const string OldKey = "https://contoso.vault.azure.net/keys/kek/2025";
    private const string NewKey = "https://contoso.vault.azure.net/keys/kek/2026";

    private readonly FakeAzureKeyEncryptionKey _old = new(OldKey);
    private readonly FakeAzureKeyEncryptionKey _new = new(NewKey);
    private readonly FakeAzureKeyEncryptionKeyResolver _azure;

    public AzureKeyEncryptionKeyResolverTests()
    {
        _azure = new FakeAzureKeyEncryptionKeyResolver(_old, _new);
    }

    [Fact]
    public void Resolve_KnownId_ReturnsThatKeyAdapted()
    {
        var resolver = new AzureKeyEncryptionKeyResolver(_azure);

        IKeyEncryptionKey key = resolver.Resolve(OldKey);

        var adapter = Assert.IsType<AzureKeyEncryptionKey>(key);
        Assert.Same(_old, adapter.AzureKey);
        Assert.Equal(OldKey, key.KeyId);
    }

    [Fact]
    public async Task ResolveAsync_KnownId_ReturnsThatKeyAdapted()
    {
        var resolver = new AzureKeyEncryptionKeyResolver(_azure);

        IKeyEncryptionKey key = await resolver.ResolveAsync(NewKey);

        Assert.Equal(NewKey, key.KeyId);
        Assert.Same(_new, Assert.IsType<AzureKeyEncryptionKey>(key).AzureKey);
    }

    [Fact]
    public async Task Resolve_KeyIdStoredBesideAWrappedKey_UnwrapsIt()
    {
        var resolver = new AzureKeyEncryptionKeyResolver(_azure);
        IKeyEncryptionKey writer = new AzureKeyEncryptionKey(_new);
        byte[] dek = RandomNumberGenerator.GetBytes(32);
        byte[] wrapped = writer.WrapKey(KeyWrapAlgorithm.RsaOaep256, dek);

        IKeyEncryptionKey reader = await resolver.ResolveAsync(writer.KeyId);

        Assert.Equal(dek, reader.UnwrapKey(KeyWrapAlgorithm.RsaOaep256, wrapped));
    }

    [Fact]
    public async Task Resolve_PassesTheCancellationTokenThrough()
    {
        var resolver = new AzureKeyEncryptionKeyResolver(_azure);
        using var cts = new CancellationTokenSource();

        resolver.Resolve(OldKey, cts.Token);
        Assert.Equal(cts.Token, _azure.LastToken);

        await resolver.ResolveAsync(NewKey, cts.Token);
        Assert.Equal(cts.Token, _azure.LastToken);

        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => resolver.ResolveAsync(NewKey, cts.Token));
    }

    [Fact]
    public async Task Resolve_UnknownId_BecomesKeyServiceUnavailableNamingTheId()
    {
        var resolver = new AzureKeyEncryptionKeyResolver(_azure);
        const string missing = "https://contoso.vault.azure.net/keys/deleted/1";

        var ex = Assert.Throws<KeyServiceUnavailableException>(() => resolver.Resolve(missing));
        var asyncEx = await Assert.ThrowsAsync<KeyServiceUnavailableException>(() => resolver.ResolveAsync(missing));

        Assert.Equal(missing, ex.KeyId);
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.Contains("404", ex.Message, StringComparison.Ordinal);
        Assert.IsType<RequestFailedException>(ex.InnerException);
        Assert.Equal(missing, asyncEx.KeyId);
    }

    [Fact]
    public async Task Resolve_ResolverReturnsNull_BecomesKeyServiceUnavailable()
    {
        _azure.ReturnNullWhenMissing = true;
        var resolver = new AzureKeyEncryptionKeyResolver(_azure);

        var ex = await Assert.ThrowsAsync<KeyServiceUnavailableException>(() => resolver.ResolveAsync("kek-unknown"));

        Assert.Equal("kek-unknown", ex.KeyId);
        Assert.Contains("kek-unknown", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Arguments_AreGuarded()
    {
        var resolver = new AzureKeyEncryptionKeyResolver(_azure);

        Assert.Throws<ArgumentNullException>(() => new AzureKeyEncryptionKeyResolver(null!));
        Assert.Throws<ArgumentNullException>(() => resolver.Resolve(null!));
        Assert.Throws<ArgumentException>(() => resolver.Resolve(""));
    }
}
