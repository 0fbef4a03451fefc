namespace Hipaa.Encryption;

/// <summary>
/// A key-encryption key (KEK) held in a key management service or an HSM. It wraps and unwraps the
/// SDK's locally generated keys; the KEK itself never leaves its service.
/// </summary>
/// <remarks>
/// The shape is deliberately that of <c>Azure.Core.Cryptography.IKeyEncryptionKey</c>, which Azure Key
/// Vault's <c>CryptographyClient</c> implements, so that an adapter is a one-line forwarder
/// (see the Hipaa.Azure package). Implementations must be thread-safe. A failure of the underlying
/// service should surface as an exception; the SDK turns it into a
/// <see cref="KeyServiceUnavailableException"/> and writes nothing.
/// </remarks>
public interface IKeyEncryptionKey
{
    /// <summary>Gets the stable identifier of this key, stored beside every key it wraps.</summary>
    string KeyId { get; }

    /// <summary>Wraps (encrypts) <paramref name="key"/> with this key-encryption key.</summary>
    /// <param name="algorithm">The key-wrap algorithm, for example <see cref="KeyWrapAlgorithm.AesKeyWrap256"/>.</param>
    /// <param name="key">The key to wrap.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The wrapped key.</returns>
    byte[] WrapKey(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="WrapKey"/>
    Task<byte[]> WrapKeyAsync(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default);

    /// <summary>Unwraps (decrypts) a key previously wrapped by this key-encryption key.</summary>
    /// <param name="algorithm">The key-wrap algorithm the key was wrapped with.</param>
    /// <param name="encryptedKey">The wrapped key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The unwrapped key.</returns>
    byte[] UnwrapKey(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="UnwrapKey"/>
    Task<byte[]> UnwrapKeyAsync(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default);
}
