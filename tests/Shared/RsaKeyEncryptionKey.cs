using System.Security.Cryptography;
using Hipaa.Encryption;

namespace Hipaa.Testing;

/// <summary>
/// An asymmetric KEK simulated in process, as an RSA key in Azure Key Vault or an HSM behaves: wrapping (RSA-OAEP-256)
/// needs only the public key, which anyone may hold; unwrapping needs the private key, which never leaves this object.
/// </summary>
internal sealed class RsaKeyEncryptionKey(string keyId) : IKeyEncryptionKey, IDisposable
{
    private readonly RSA _rsa = RSA.Create(2048);

    public string KeyId { get; } = keyId;

    /// <summary>Gets the public half: what an attacker may have (it is published, or readable from the key service).</summary>
    public RSAParameters PublicKey => _rsa.ExportParameters(includePrivateParameters: false);

    /// <summary>Wraps with the public key alone, as anyone can.</summary>
    public static byte[] WrapWithPublicKey(RSAParameters publicKey, byte[] key)
    {
        using var rsa = RSA.Create(publicKey);
        return rsa.Encrypt(key, RSAEncryptionPadding.OaepSHA256);
    }

    public byte[] WrapKey(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        RequireAlgorithm(algorithm);
        return WrapWithPublicKey(PublicKey, key.ToArray());
    }

    public Task<byte[]> WrapKeyAsync(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) =>
        Task.FromResult(WrapKey(algorithm, key, cancellationToken));

    public byte[] UnwrapKey(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default)
    {
        RequireAlgorithm(algorithm);
        return _rsa.Decrypt(encryptedKey.ToArray(), RSAEncryptionPadding.OaepSHA256);
    }

    public Task<byte[]> UnwrapKeyAsync(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default) =>
        Task.FromResult(UnwrapKey(algorithm, encryptedKey, cancellationToken));

    public void Dispose() => _rsa.Dispose();

    private static void RequireAlgorithm(string algorithm)
    {
        if (algorithm != KeyWrapAlgorithm.RsaOaep256)
        {
            throw new ArgumentException($"Only {KeyWrapAlgorithm.RsaOaep256} is supported, not '{algorithm}'.", nameof(algorithm));
        }
    }
}
