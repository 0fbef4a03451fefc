using System.Security.Cryptography;
using Hipaa.Encryption;

namespace Hipaa.EfCore.Tests.Infrastructure;

/// <summary>A KEK for tests: AES-GCM wrap under a random key, counts calls, and can be told to fail like a KMS that is down.</summary>
public sealed class CountingKeyEncryptionKey(string keyId) : IKeyEncryptionKey
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private int _wraps;
    private int _unwraps;

    public string KeyId { get; } = keyId;

    public int Wraps => Volatile.Read(ref _wraps);

    public int Unwraps => Volatile.Read(ref _unwraps);

    public bool Fail { get; set; }

    /// <summary>Delay inside each unwrap, so concurrent callers overlap.</summary>
    public TimeSpan UnwrapDelay { get; set; }

    public byte[] WrapKey(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _wraps);
        ThrowIfFailing();
        var output = new byte[12 + key.Length + 16];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        using var aes = new AesGcm(_key, 16);
        aes.Encrypt(output.AsSpan(0, 12), key.Span, output.AsSpan(12, key.Length), output.AsSpan(12 + key.Length), System.Text.Encoding.UTF8.GetBytes(KeyId));
        return output;
    }

    public Task<byte[]> WrapKeyAsync(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) =>
        Task.FromResult(WrapKey(algorithm, key, cancellationToken));

    public byte[] UnwrapKey(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _unwraps);
        if (UnwrapDelay > TimeSpan.Zero)
        {
            Thread.Sleep(UnwrapDelay);
        }

        ThrowIfFailing();
        var wrapped = encryptedKey.Span;
        var output = new byte[wrapped.Length - 28];
        using var aes = new AesGcm(_key, 16);
        aes.Decrypt(wrapped[..12], wrapped[12..^16], wrapped[^16..], output, System.Text.Encoding.UTF8.GetBytes(KeyId));
        return output;
    }

    public async Task<byte[]> UnwrapKeyAsync(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        return UnwrapKey(algorithm, encryptedKey, cancellationToken);
    }

    private void ThrowIfFailing()
    {
        if (Fail)
        {
            throw new HttpRequestException("The key service is unreachable (simulated outage).");
        }
    }
}
