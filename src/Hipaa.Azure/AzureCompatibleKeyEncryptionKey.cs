using AzureKek = Azure.Core.Cryptography.IKeyEncryptionKey;
using HipaaKek = Hipaa.Encryption.IKeyEncryptionKey;

namespace Hipaa.Azure;

/// <summary>
/// Presents a Hipaa.Sdk key-encryption key (for example a PKCS#11 or development key) as an Azure.Core
/// <c>IKeyEncryptionKey</c>, for Azure SDK clients that take one (client-side encryption in Azure Storage, for example).
/// </summary>
/// <remarks>Calls, algorithm names, key ids, cancellation tokens and exceptions are forwarded unchanged.</remarks>
public sealed class AzureCompatibleKeyEncryptionKey : AzureKek
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="key">The Hipaa.Sdk key-encryption key.</param>
    public AzureCompatibleKeyEncryptionKey(HipaaKek key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Key = key;
    }

    /// <summary>Gets the Hipaa.Sdk key-encryption key this instance forwards to.</summary>
    public HipaaKek Key { get; }

    /// <inheritdoc />
    public string KeyId => Key.KeyId;

    /// <inheritdoc />
    public byte[] WrapKey(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) =>
        Key.WrapKey(algorithm, key, cancellationToken);

    /// <inheritdoc />
    public Task<byte[]> WrapKeyAsync(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) =>
        Key.WrapKeyAsync(algorithm, key, cancellationToken);

    /// <inheritdoc />
    public byte[] UnwrapKey(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default) =>
        Key.UnwrapKey(algorithm, encryptedKey, cancellationToken);

    /// <inheritdoc />
    public Task<byte[]> UnwrapKeyAsync(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default) =>
        Key.UnwrapKeyAsync(algorithm, encryptedKey, cancellationToken);
}
