using System.Security.Cryptography;
using FsCheck;
using FsCheck.Xunit;
using Hipaa.Encryption;
using RequestFailedException = Azure.RequestFailedException;

namespace Hipaa.Azure.Tests;

public sealed class AzureKeyEncryptionKeyTests
{
    private const string KeyUri = "https://contoso.vault.azure.net/keys/kek-2026/0123456789abcdef";
    private const string Algorithm = KeyWrapAlgorithm.RsaOaep256;

    private readonly FakeAzureKeyEncryptionKey _azure = new(KeyUri);

    [Fact]
    public void KeyId_IsTheAzureKeyId()
    {
        var kek = new AzureKeyEncryptionKey(_azure);

        Assert.Equal(KeyUri, kek.KeyId);
        Assert.Same(_azure, kek.AzureKey);
    }

    [Fact]
    public void WrapKey_ThenUnwrapKey_RoundTripsThroughTheAzureKey()
    {
        var kek = new AzureKeyEncryptionKey(_azure);
        byte[] dek = RandomNumberGenerator.GetBytes(32);

        byte[] wrapped = kek.WrapKey(Algorithm, dek);
        byte[] unwrapped = kek.UnwrapKey(Algorithm, wrapped);

        Assert.Equal(dek, unwrapped);
        Assert.NotEqual(dek, wrapped.AsSpan(12, 32).ToArray());
        Assert.Equal(2, _azure.Calls);
        Assert.Equal(Algorithm, _azure.LastAlgorithm);
    }

    [Fact]
    public async Task WrapKeyAsync_ThenUnwrapKeyAsync_RoundTripsThroughTheAzureKey()
    {
        var kek = new AzureKeyEncryptionKey(_azure);
        byte[] dek = RandomNumberGenerator.GetBytes(32);

        byte[] wrapped = await kek.WrapKeyAsync(KeyWrapAlgorithm.AesKeyWrap256, dek);
        byte[] unwrapped = await kek.UnwrapKeyAsync(KeyWrapAlgorithm.AesKeyWrap256, wrapped);

        Assert.Equal(dek, unwrapped);
        Assert.Equal(KeyWrapAlgorithm.AesKeyWrap256, _azure.LastAlgorithm);
    }

    [Fact]
    public async Task AllOperations_PassTheCancellationTokenThrough()
    {
        var kek = new AzureKeyEncryptionKey(_azure);
        using var cts = new CancellationTokenSource();
        byte[] wrapped = kek.WrapKey(Algorithm, new byte[32]);

        kek.WrapKey(Algorithm, new byte[32], cts.Token);
        Assert.Equal(cts.Token, _azure.LastToken);
        _azure.LastTokenReset();

        kek.UnwrapKey(Algorithm, wrapped, cts.Token);
        Assert.Equal(cts.Token, _azure.LastToken);
        _azure.LastTokenReset();

        await kek.WrapKeyAsync(Algorithm, new byte[32], cts.Token);
        Assert.Equal(cts.Token, _azure.LastToken);
        _azure.LastTokenReset();

        await kek.UnwrapKeyAsync(Algorithm, wrapped, cts.Token);
        Assert.Equal(cts.Token, _azure.LastToken);
    }

    [Fact]
    public async Task CallerCancellation_PassesThroughUntranslated()
    {
        var kek = new AzureKeyEncryptionKey(_azure);
        var cancelled = new CancellationToken(canceled: true);

        Assert.ThrowsAny<OperationCanceledException>(() => kek.WrapKey(Algorithm, new byte[32], cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => kek.UnwrapKeyAsync(Algorithm, new byte[60], cancelled));
    }

    [Fact]
    public void WrapKey_RequestFailed_BecomesKeyServiceUnavailableNamingTheKey()
    {
        var failure = new RequestFailedException(503, "Service Unavailable", "ServiceUnavailable", null);
        _azure.Failure = () => failure;
        var kek = new AzureKeyEncryptionKey(_azure);

        var ex = Assert.Throws<KeyServiceUnavailableException>(() => kek.WrapKey(Algorithm, new byte[32]));

        Assert.Equal(KeyUri, ex.KeyId);
        Assert.Same(failure, ex.InnerException);
        Assert.Contains(KeyUri, ex.Message, StringComparison.Ordinal);
        Assert.Contains("503", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ServiceUnavailable", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnwrapKeyAsync_Forbidden_BecomesKeyServiceUnavailableNamingTheKey()
    {
        _azure.Failure = () => new RequestFailedException(403, "Forbidden", "Forbidden", null);
        var kek = new AzureKeyEncryptionKey(_azure);

        var ex = await Assert.ThrowsAsync<KeyServiceUnavailableException>(() => kek.UnwrapKeyAsync(Algorithm, new byte[60]));

        Assert.Equal(KeyUri, ex.KeyId);
        Assert.IsType<RequestFailedException>(ex.InnerException);
        Assert.Contains("unwrap", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NetworkFailures_BecomeKeyServiceUnavailable()
    {
        var kek = new AzureKeyEncryptionKey(_azure);

        _azure.Failure = () => new RequestFailedException("No such host is known.");
        var unreachable = Assert.Throws<KeyServiceUnavailableException>(() => kek.UnwrapKey(Algorithm, new byte[60]));
        Assert.Contains("could not be reached", unreachable.Message, StringComparison.Ordinal);

        _azure.Failure = () => new HttpRequestException("connection refused");
        var http = await Assert.ThrowsAsync<KeyServiceUnavailableException>(() => kek.WrapKeyAsync(Algorithm, new byte[32]));
        Assert.IsType<HttpRequestException>(http.InnerException);

        // A timeout inside the client surfaces as a cancellation the caller did not ask for.
        _azure.Failure = () => new TaskCanceledException("The operation was canceled.", new TimeoutException());
        var timeout = Assert.Throws<KeyServiceUnavailableException>(() => kek.WrapKey(Algorithm, new byte[32]));
        Assert.Equal(KeyUri, timeout.KeyId);
    }

    [Fact]
    public void AuthenticationFailureOfTheWrappedKey_PassesThroughAsCryptographicException()
    {
        var kek = new AzureKeyEncryptionKey(_azure);
        byte[] wrapped = kek.WrapKey(Algorithm, RandomNumberGenerator.GetBytes(32));
        wrapped[20] ^= 1;

        Assert.ThrowsAny<CryptographicException>(() => kek.UnwrapKey(Algorithm, wrapped));
    }

    [Fact]
    public void Arguments_AreGuarded()
    {
        var kek = new AzureKeyEncryptionKey(_azure);

        Assert.Throws<ArgumentNullException>(() => new AzureKeyEncryptionKey(null!));
        Assert.Throws<ArgumentNullException>(() => kek.WrapKey(null!, new byte[32]));
        Assert.Throws<ArgumentException>(() => kek.UnwrapKey(" ", new byte[60]));
        Assert.Equal(0, _azure.Calls);
    }

    [Property(MaxTest = 100)]
    public bool WrapKey_AnyKey_RoundTrips(NonEmptyArray<byte> dek)
    {
        var kek = new AzureKeyEncryptionKey(_azure);
        return kek.UnwrapKey(Algorithm, kek.WrapKey(Algorithm, dek.Get)).AsSpan().SequenceEqual(dek.Get);
    }
}
