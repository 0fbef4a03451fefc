using AzureKek = Azure.Core.Cryptography.IKeyEncryptionKey;
using AzureKekResolver = Azure.Core.Cryptography.IKeyEncryptionKeyResolver;
using HipaaKekResolver = Hipaa.Encryption.IKeyEncryptionKeyResolver;

namespace Hipaa.Azure;

/// <summary>
/// Presents a Hipaa.Sdk key-encryption-key resolver as an Azure.Core <c>IKeyEncryptionKeyResolver</c>. Each key it
/// resolves is an <see cref="AzureCompatibleKeyEncryptionKey"/> (or the original Azure key, when the Hipaa.Sdk key was
/// itself an <see cref="AzureKeyEncryptionKey"/>).
/// </summary>
/// <remarks>Calls, key ids, cancellation tokens and exceptions are forwarded unchanged.</remarks>
public sealed class AzureCompatibleKeyEncryptionKeyResolver : AzureKekResolver
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="resolver">The Hipaa.Sdk resolver.</param>
    public AzureCompatibleKeyEncryptionKeyResolver(HipaaKekResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        Resolver = resolver;
    }

    /// <summary>Gets the Hipaa.Sdk resolver this instance forwards to.</summary>
    public HipaaKekResolver Resolver { get; }

    /// <inheritdoc />
    public AzureKek Resolve(string keyId, CancellationToken cancellationToken = default) =>
        Resolver.Resolve(keyId, cancellationToken).AsAzureKeyEncryptionKey();

    /// <inheritdoc />
    public async Task<AzureKek> ResolveAsync(string keyId, CancellationToken cancellationToken = default) =>
        (await Resolver.ResolveAsync(keyId, cancellationToken).ConfigureAwait(false)).AsAzureKeyEncryptionKey();
}
