using System.Security.Cryptography;
using System.Text;
using AzureKek = Azure.Core.Cryptography.IKeyEncryptionKey;

namespace Hipaa.Azure.Tests;

/// <summary>
/// A local implementation of Azure.Core's IKeyEncryptionKey (what Key Vault's CryptographyClient implements): AES-256-GCM
/// with the key id as associated data, recording what it was called with and throwing on demand.
/// </summary>
internal sealed class FakeAzureKeyEncryptionKey : AzureKek
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public FakeAzureKeyEncryptionKey(string keyId)
    {
        KeyId = keyId;
    }

    public string KeyId { get; }

    /// <summary>When set, every operation throws what this returns.</summary>
    public Func<Exception>? Failure { get; set; }

    public string? LastAlgorithm { get; private set; }

    public CancellationToken LastToken { get; private set; }

    public int Calls { get; private set; }

    public byte[] WrapKey(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        Record(algorithm, cancellationToken);
        byte[] output = new byte[12 + key.Length + 16];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        using var aes = new AesGcm(_key, 16);
        aes.Encrypt(output.AsSpan(0, 12), key.Span, output.AsSpan(12, key.Length), output.AsSpan(12 + key.Length), Encoding.UTF8.GetBytes(KeyId));
        return output;
    }

    public async Task<byte[]> WrapKeyAsync(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        return WrapKey(algorithm, key, cancellationToken);
    }

    public byte[] UnwrapKey(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default)
    {
        Record(algorithm, cancellationToken);
        ReadOnlySpan<byte> input = encryptedKey.Span;
        byte[] output = new byte[input.Length - 28];
        using var aes = new AesGcm(_key, 16);
        aes.Decrypt(input[..12], input[12..^16], input[^16..], output, Encoding.UTF8.GetBytes(KeyId));
        return output;
    }

    public async Task<byte[]> UnwrapKeyAsync(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        return UnwrapKey(algorithm, encryptedKey, cancellationToken);
    }

    public void LastTokenReset() => LastToken = CancellationToken.None;

    private void Record(string algorithm, CancellationToken cancellationToken)
    {
        Calls++;
        LastAlgorithm = algorithm;
        LastToken = cancellationToken;
        cancellationToken.ThrowIfCancellationRequested();
        if (Failure is not null)
        {
            throw Failure();
        }
    }
}
