namespace Hipaa.Encryption;

/// <summary>
/// Finds a key-encryption key by the identifier stored beside a wrapped key. Shaped like
/// <c>Azure.Core.Cryptography.IKeyEncryptionKeyResolver</c> (Azure Key Vault's <c>KeyResolver</c>).
/// </summary>
/// <remarks>
/// After a KEK rotation, keys wrapped by the previous KEK stay readable as long as the resolver can still
/// return it. Implementations must be thread-safe and should throw when the key cannot be found.
/// </remarks>
public interface IKeyEncryptionKeyResolver
{
    /// <summary>Returns the key-encryption key with identifier <paramref name="keyId"/>.</summary>
    /// <param name="keyId">The identifier stored beside the wrapped key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The key-encryption key.</returns>
    IKeyEncryptionKey Resolve(string keyId, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="Resolve"/>
    Task<IKeyEncryptionKey> ResolveAsync(string keyId, CancellationToken cancellationToken = default);
}
