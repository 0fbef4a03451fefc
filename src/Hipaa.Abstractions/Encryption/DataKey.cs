using System.Security.Cryptography;

namespace Hipaa.Encryption;

/// <summary>
/// An unwrapped 256-bit data-encryption key held in the key ring's cache. <see cref="AesGcm"/> instances are not
/// thread-safe, so each key keeps one idle instance, taken and put back atomically; a thread that finds none makes its own
/// (and disposes it if another was put back first).
/// </summary>
internal sealed class DataKey
{
    public const int KeySizeBytes = 32;

    private readonly byte[] _material;
    private AesGcm? _idle;
    private long _invocationBudget;
    private long _activeUntil;

    public DataKey(Guid id, string scope, ReadOnlySpan<byte> material)
    {
        if (material.Length != KeySizeBytes)
        {
            throw new CryptographicException($"Data key {id} must be {KeySizeBytes} bytes, not {material.Length}.");
        }

        Id = id;
        Scope = scope;
        _material = material.ToArray();
    }

    public Guid Id { get; }

    /// <summary>Gets a value indicating whether this is the cached marker of a crypto-shredded key (it holds no key material).</summary>
    public bool IsDestroyed { get; private init; }

    public string Scope { get; }

    public static DataKey Destroyed(Guid id, string scope) => new(id, scope, new byte[KeySizeBytes]) { IsDestroyed = true };

    /// <summary>
    /// Whether the key store said this key was active recently enough to encrypt with it at <paramref name="timestamp"/>
    /// (a <see cref="TimeProvider.GetTimestamp"/>): a shred or roll elsewhere is seen within the re-check interval.
    /// </summary>
    public bool IsKnownActiveAt(long timestamp) => timestamp < Volatile.Read(ref _activeUntil);

    /// <summary>Records that the key store said this key was active; valid until <paramref name="untilTimestamp"/> (never shortened).</summary>
    public void ConfirmActiveUntil(long untilTimestamp)
    {
        long current;
        do
        {
            current = Volatile.Read(ref _activeUntil);
            if (current >= untilTimestamp)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _activeUntil, untilTimestamp, current) != current);
    }

    /// <summary>Takes one encryption from the budget reserved in the key store (NIST SP 800-38D §8.3 bound); false when exhausted.</summary>
    public bool TryConsumeInvocation() => Interlocked.Decrement(ref _invocationBudget) >= 0;

    public void AddInvocationBudget(long count)
    {
        // A negative balance means callers overdrew while the reservation was in flight; they were refused, so reset.
        long current, next;
        do
        {
            current = Interlocked.Read(ref _invocationBudget);
            next = Math.Max(current, 0) + count;
        }
        while (Interlocked.CompareExchange(ref _invocationBudget, next, current) != current);
    }

    public void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        var aes = Rent();
        try
        {
            aes.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
        }
        finally
        {
            Return(aes);
        }
    }

    /// <summary>Decrypts and authenticates; false when the tag does not verify.</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var aes = Rent();
        try
        {
            aes.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            return false;
        }
        finally
        {
            Return(aes);
        }
    }

    /// <summary>The raw key, for wrapping it and for keyed hashing (blind indexes). Never logged, never returned to callers.</summary>
    internal ReadOnlySpan<byte> Material => _material;

    private AesGcm Rent() => Interlocked.Exchange(ref _idle, null) ?? new AesGcm(_material, FieldCiphertext.TagSize);

    private void Return(AesGcm aes)
    {
        if (Interlocked.CompareExchange(ref _idle, aes, null) is not null)
        {
            aes.Dispose();
        }
    }
}
