using System.Security.Cryptography;
using Hipaa.Encryption;

namespace Hipaa.Tests.Encryption;

/// <summary>
/// A key-encryption key for tests: AES-256-GCM under a random key (nonce || ciphertext || tag), counting every call.
/// It can be told to fail like a key service that is down, and to hold unwraps at a gate so that callers overlap.
/// </summary>
internal sealed class CountingKeyEncryptionKey : IKeyEncryptionKey
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private int _wraps;
    private int _unwraps;
    private volatile bool _fail;
    private volatile TaskCompletionSource? _unwrapGate;
    private readonly TaskCompletionSource _unwrapEntered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CountingKeyEncryptionKey(string keyId) => KeyId = keyId;

    public string KeyId { get; }

    public int Wraps => Volatile.Read(ref _wraps);

    public int Unwraps => Volatile.Read(ref _unwraps);

    public int Calls => Wraps + Unwraps;

    /// <summary>Gets or sets a value indicating whether every call throws, like a key service that is down.</summary>
    public bool Fail
    {
        get => _fail;
        set => _fail = value;
    }

    /// <summary>Completes when an unwrap has started (after it was counted, before it waits at the gate).</summary>
    public Task UnwrapEntered => _unwrapEntered.Task;

    /// <summary>Makes every unwrap wait until the returned source is completed.</summary>
    public TaskCompletionSource HoldUnwraps()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _unwrapGate = gate;
        return gate;
    }

    public byte[] WrapKey(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _wraps);
        ThrowIfFailing();
        var output = new byte[NonceSize + key.Length + TagSize];
        RandomNumberGenerator.Fill(output.AsSpan(0, NonceSize));
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(output.AsSpan(0, NonceSize), key.Span, output.AsSpan(NonceSize, key.Length), output.AsSpan(NonceSize + key.Length), AssociatedData(algorithm));
        return output;
    }

    public Task<byte[]> WrapKeyAsync(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) =>
        Task.FromResult(WrapKey(algorithm, key, cancellationToken));

    public byte[] UnwrapKey(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _unwraps);
        _unwrapEntered.TrySetResult();
        _unwrapGate?.Task.Wait(cancellationToken);
        return Unwrap(algorithm, encryptedKey);
    }

    public async Task<byte[]> UnwrapKeyAsync(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _unwraps);
        _unwrapEntered.TrySetResult();
        if (_unwrapGate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        return Unwrap(algorithm, encryptedKey);
    }

    private static byte[] AssociatedData(string algorithm) => System.Text.Encoding.UTF8.GetBytes(algorithm);

    private byte[] Unwrap(string algorithm, ReadOnlyMemory<byte> encryptedKey)
    {
        ThrowIfFailing();
        var wrapped = encryptedKey.Span;
        if (wrapped.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("The wrapped key is too short.");
        }

        var key = new byte[wrapped.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(wrapped[..NonceSize], wrapped[NonceSize..^TagSize], wrapped[^TagSize..], key, AssociatedData(algorithm));
        return key;
    }

    private void ThrowIfFailing()
    {
        if (_fail)
        {
            throw new InvalidOperationException($"Key service for {KeyId} is down (test double).");
        }
    }
}
