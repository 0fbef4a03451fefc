using System.Security.Cryptography;
using Hipaa.Encryption;

namespace Hipaa.Benchmarks;

/// <summary>An in-process KEK (AES-256-GCM key wrap) standing in for a KMS: it is only called while keys warm up.</summary>
internal sealed class BenchmarkKeyEncryptionKey : IKeyEncryptionKey
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public string KeyId => "benchmark-kek";

    public byte[] WrapKey(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        var output = new byte[12 + key.Length + 16];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        using var aes = new AesGcm(_key, 16);
        aes.Encrypt(output.AsSpan(0, 12), key.Span, output.AsSpan(12, key.Length), output.AsSpan(12 + key.Length));
        return output;
    }

    public Task<byte[]> WrapKeyAsync(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) =>
        Task.FromResult(WrapKey(algorithm, key, cancellationToken));

    public byte[] UnwrapKey(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default)
    {
        var input = encryptedKey.Span;
        var plaintext = new byte[input.Length - 28];
        using var aes = new AesGcm(_key, 16);
        aes.Decrypt(input[..12], input[12..^16], input[^16..], plaintext);
        return plaintext;
    }

    public Task<byte[]> UnwrapKeyAsync(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default) =>
        Task.FromResult(UnwrapKey(algorithm, encryptedKey, cancellationToken));
}
