using Hipaa.Encryption;
using AzureKek = Azure.Core.Cryptography.IKeyEncryptionKey;
using AzureKekResolver = Azure.Core.Cryptography.IKeyEncryptionKeyResolver;

namespace Hipaa.Azure;

/// <summary>
/// Presents an Azure.Core <c>IKeyEncryptionKeyResolver</c> — Azure Key Vault's <c>KeyResolver</c>, or any other
/// implementation — as a Hipaa.Sdk <see cref="IKeyEncryptionKeyResolver"/>. Each key it resolves is an
/// <see cref="AzureKeyEncryptionKey"/>.
/// </summary>
/// <remarks>
/// A failure of the resolver, or a resolver that returns no key, becomes a <see cref="KeyServiceUnavailableException"/>
/// naming the requested key id; the caller's cancellation and an <see cref="ArgumentException"/> pass through unchanged.
/// Thread-safe when the Azure resolver is (Key Vault's <c>KeyResolver</c> is).
/// </remarks>
public sealed class AzureKeyEncryptionKeyResolver : IKeyEncryptionKeyResolver
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="resolver">The Azure resolver, for example a Key Vault <c>KeyResolver</c>.</param>
    public AzureKeyEncryptionKeyResolver(AzureKekResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        AzureResolver = resolver;
    }

    /// <summary>Gets the Azure resolver this instance forwards to.</summary>
    public AzureKekResolver AzureResolver { get; }

    /// <inheritdoc />
    public IKeyEncryptionKey Resolve(string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        AzureKek? key;
        try
        {
            key = AzureResolver.Resolve(keyId, cancellationToken);
        }
        catch (Exception ex) when (AzureFailure.IsKeyServiceFailure(ex, cancellationToken))
        {
            throw AzureFailure.Translate(ex, keyId, "be resolved");
        }

        return Adapt(key, keyId);
    }

    /// <inheritdoc />
    public async Task<IKeyEncryptionKey> ResolveAsync(string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        AzureKek? key;
        try
        {
            key = await AzureResolver.ResolveAsync(keyId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (AzureFailure.IsKeyServiceFailure(ex, cancellationToken))
        {
            throw AzureFailure.Translate(ex, keyId, "be resolved");
        }

        return Adapt(key, keyId);
    }

    private static IKeyEncryptionKey Adapt(AzureKek? key, string keyId) =>
        key is null
            ? throw new KeyServiceUnavailableException(
                $"The key resolver returned no key-encryption key for '{keyId}'. Check that the key exists and that the application is allowed to read it.")
            {
                KeyId = keyId,
            }
            : key.AsHipaaKeyEncryptionKey();
}
