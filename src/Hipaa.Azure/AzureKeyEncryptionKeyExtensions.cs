using AzureKek = Azure.Core.Cryptography.IKeyEncryptionKey;
using AzureKekResolver = Azure.Core.Cryptography.IKeyEncryptionKeyResolver;
using HipaaKek = Hipaa.Encryption.IKeyEncryptionKey;
using HipaaKekResolver = Hipaa.Encryption.IKeyEncryptionKeyResolver;

namespace Hipaa.Azure;

/// <summary>
/// Converts key-encryption keys and resolvers between Azure.Core's <c>Azure.Core.Cryptography</c> interfaces and
/// Hipaa.Sdk's <c>Hipaa.Encryption</c> interfaces. Converting an adapter back returns the object it adapts, so keys are
/// never wrapped twice.
/// </summary>
/// <example>
/// <code>
/// // Azure Key Vault: CryptographyClient and KeyResolver implement the Azure.Core interfaces.
/// IKeyEncryptionKey kek = new CryptographyClient(keyUri, credential).AsHipaaKeyEncryptionKey();
/// IKeyEncryptionKeyResolver resolver = new KeyResolver(credential).AsHipaaKeyEncryptionKeyResolver();
/// </code>
/// </example>
public static class AzureKeyEncryptionKeyExtensions
{
    /// <summary>Presents an Azure.Core key-encryption key as a Hipaa.Sdk one (see <see cref="AzureKeyEncryptionKey"/>).</summary>
    /// <param name="key">The Azure key, for example a Key Vault <c>CryptographyClient</c>.</param>
    /// <returns>The Hipaa.Sdk key-encryption key.</returns>
    public static HipaaKek AsHipaaKeyEncryptionKey(this AzureKek key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key is AzureCompatibleKeyEncryptionKey compatible ? compatible.Key : new AzureKeyEncryptionKey(key);
    }

    /// <summary>Presents an Azure.Core resolver as a Hipaa.Sdk one (see <see cref="AzureKeyEncryptionKeyResolver"/>).</summary>
    /// <param name="resolver">The Azure resolver, for example a Key Vault <c>KeyResolver</c>.</param>
    /// <returns>The Hipaa.Sdk resolver.</returns>
    public static HipaaKekResolver AsHipaaKeyEncryptionKeyResolver(this AzureKekResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        return resolver is AzureCompatibleKeyEncryptionKeyResolver compatible
            ? compatible.Resolver
            : new AzureKeyEncryptionKeyResolver(resolver);
    }

    /// <summary>Presents a Hipaa.Sdk key-encryption key as an Azure.Core one (see <see cref="AzureCompatibleKeyEncryptionKey"/>).</summary>
    /// <param name="key">The Hipaa.Sdk key.</param>
    /// <returns>The Azure.Core key-encryption key.</returns>
    public static AzureKek AsAzureKeyEncryptionKey(this HipaaKek key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key is AzureKeyEncryptionKey adapter ? adapter.AzureKey : new AzureCompatibleKeyEncryptionKey(key);
    }

    /// <summary>Presents a Hipaa.Sdk resolver as an Azure.Core one (see <see cref="AzureCompatibleKeyEncryptionKeyResolver"/>).</summary>
    /// <param name="resolver">The Hipaa.Sdk resolver.</param>
    /// <returns>The Azure.Core resolver.</returns>
    public static AzureKekResolver AsAzureKeyEncryptionKeyResolver(this HipaaKekResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        return resolver is AzureKeyEncryptionKeyResolver adapter
            ? adapter.AzureResolver
            : new AzureCompatibleKeyEncryptionKeyResolver(resolver);
    }
}
