using Hipaa.Encryption;
using AzureKek = Azure.Core.Cryptography.IKeyEncryptionKey;

namespace Hipaa.Azure;

/// <summary>
/// Presents an Azure.Core <c>IKeyEncryptionKey</c> — Azure Key Vault's <c>CryptographyClient</c>, or any other
/// implementation — as a Hipaa.Sdk <see cref="IKeyEncryptionKey"/>.
/// </summary>
/// <remarks>
/// Calls, algorithm names, key ids and cancellation tokens are forwarded unchanged. A failure of the key service
/// (an <c>Azure.RequestFailedException</c>, a timeout, an authentication failure, anything else it throws) becomes a
/// <see cref="KeyServiceUnavailableException"/> that names the key id. Passed through unchanged: an
/// <see cref="OperationCanceledException"/> caused by the caller's token, an <see cref="ArgumentException"/>, and a
/// <see cref="System.Security.Cryptography.CryptographicException"/> (a wrapped key that failed authentication).
/// Thread-safe when the Azure key is (Key Vault's <c>CryptographyClient</c> is).
/// </remarks>
public sealed class AzureKeyEncryptionKey : IKeyEncryptionKey
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="key">The Azure key-encryption key, for example a Key Vault <c>CryptographyClient</c>.</param>
    public AzureKeyEncryptionKey(AzureKek key)
    {
        ArgumentNullException.ThrowIfNull(key);
        AzureKey = key;
    }

    /// <summary>Gets the Azure key-encryption key this instance forwards to.</summary>
    public AzureKek AzureKey { get; }

    /// <inheritdoc />
    /// <remarks>The Azure key's own id (for Key Vault, the key's URI), unchanged.</remarks>
    public string KeyId => AzureKey.KeyId;

    /// <inheritdoc />
    public byte[] WrapKey(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(algorithm);
        try
        {
            return AzureKey.WrapKey(algorithm, key, cancellationToken);
        }
        catch (Exception ex) when (AzureFailure.IsKeyServiceFailure(ex, cancellationToken))
        {
            throw AzureFailure.Translate(ex, KeyId, "wrap a key");
        }
    }

    /// <inheritdoc />
    public async Task<byte[]> WrapKeyAsync(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(algorithm);
        try
        {
            return await AzureKey.WrapKeyAsync(algorithm, key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (AzureFailure.IsKeyServiceFailure(ex, cancellationToken))
        {
            throw AzureFailure.Translate(ex, KeyId, "wrap a key");
        }
    }

    /// <inheritdoc />
    public byte[] UnwrapKey(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(algorithm);
        try
        {
            return AzureKey.UnwrapKey(algorithm, encryptedKey, cancellationToken);
        }
        catch (Exception ex) when (AzureFailure.IsKeyServiceFailure(ex, cancellationToken))
        {
            throw AzureFailure.Translate(ex, KeyId, "unwrap a key");
        }
    }

    /// <inheritdoc />
    public async Task<byte[]> UnwrapKeyAsync(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(algorithm);
        try
        {
            return await AzureKey.UnwrapKeyAsync(algorithm, encryptedKey, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (AzureFailure.IsKeyServiceFailure(ex, cancellationToken))
        {
            throw AzureFailure.Translate(ex, KeyId, "unwrap a key");
        }
    }
}
