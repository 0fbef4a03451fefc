using AzureKek = Azure.Core.Cryptography.IKeyEncryptionKey;
using AzureKekResolver = Azure.Core.Cryptography.IKeyEncryptionKeyResolver;

namespace Hipaa.Azure.Tests;

/// <summary>A local implementation of Azure.Core's IKeyEncryptionKeyResolver (what Key Vault's KeyResolver implements).</summary>
internal sealed class FakeAzureKeyEncryptionKeyResolver : AzureKekResolver
{
    private readonly Dictionary<string, FakeAzureKeyEncryptionKey> _keys;

    public FakeAzureKeyEncryptionKeyResolver(params FakeAzureKeyEncryptionKey[] keys)
    {
        _keys = keys.ToDictionary(k => k.KeyId, StringComparer.Ordinal);
    }

    /// <summary>When set, resolving returns null instead of throwing for an unknown id.</summary>
    public bool ReturnNullWhenMissing { get; set; }

    public CancellationToken LastToken { get; private set; }

    public AzureKek Resolve(string keyId, CancellationToken cancellationToken = default)
    {
        LastToken = cancellationToken;
        cancellationToken.ThrowIfCancellationRequested();
        if (_keys.TryGetValue(keyId, out FakeAzureKeyEncryptionKey? key))
        {
            return key;
        }

        return ReturnNullWhenMissing
            ? null!
            : throw new global::Azure.RequestFailedException(404, "Key not found: " + keyId, "KeyNotFound", null);
    }

    public async Task<AzureKek> ResolveAsync(string keyId, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        return Resolve(keyId, cancellationToken);
    }
}
