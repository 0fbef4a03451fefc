using System.Security.Cryptography;

namespace Hipaa.Encryption;

/// <summary>
/// An unwrapped 256-bit data-encryption key held in the key ring's cache. <see cref="AesGcm"/> instances are not
/// thread-safe, so each key keeps one idle instance, taken and put back atomically; a thread that finds none makes its own
/// (and disposes it if another was put back first).
/// </summary>
/// <remarks>
/// The key is zeroed when the cache evicts it (expiry, capacity, shred) or is disposed, and a zeroed key can never be
/// used: every use (<see cref="Encrypt"/>, <see cref="TryDecrypt"/>, <see cref="LeaseMaterial"/>) holds a lease — one
/// count in <c>_state</c> — for its whole duration. <see cref="Dispose"/> marks the key evicted, which refuses every later
/// lease with <see cref="DataKeyEvictedException"/> (the caller looks the key up again), and the key material and the idle
/// <see cref="AesGcm"/> are wiped by whoever drops the count to zero once the mark is set: at once when the key is idle,
/// otherwise by the last use in flight, after it finished with the real key. The material lives in a pinned array, so
/// the garbage collector never leaves a moved copy behind.
/// </remarks>
internal sealed class DataKey : IDisposable
{
    public const int KeySizeBytes = 32;

    /// <summary>How many times an operation looks a key up again after the one it got was evicted before it could use it.</summary>
    public const int MaxUseAttempts = 4;

    /// <summary>Set in <see cref="_state"/> once the key is evicted; the bits below count the leases held.</summary>
    private const long EvictedFlag = 1L << 62;

    private readonly byte[] _material;
    private AesGcm? _idle;
    private long _state;
    private int _zeroed;
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
        _material = GC.AllocateArray<byte>(KeySizeBytes, pinned: true);
        material.CopyTo(_material);
    }

    public Guid Id { get; }

    /// <summary>Gets a value indicating whether this is the cached marker of a crypto-shredded key (it holds no key material).</summary>
    public bool IsDestroyed { get; private init; }

    public string Scope { get; }

    /// <summary>Gets a value indicating whether the key was evicted: no new use is admitted (its material is zeroed once the uses in flight end).</summary>
    public bool IsEvicted => (Interlocked.Read(ref _state) & EvictedFlag) != 0;

    /// <summary>
    /// Only for tests: called inside every use, after its lease is taken and before the key material is touched, so that a
    /// test can evict the key at exactly that point.
    /// </summary>
    internal Action<DataKey>? WhileLeasedHookForTests { get; set; }

    /// <summary>
    /// Only for tests that check the zeroing: the key's storage itself, leased or not, zeroed or not. Everything else uses
    /// <see cref="LeaseMaterial"/>.
    /// </summary>
    internal ReadOnlySpan<byte> StorageForZeroingTests => _material;

    /// <summary>The key material while a lease is held (by <see cref="DataKeyMaterialLease"/> only).</summary>
    internal ReadOnlySpan<byte> LeasedMaterial => _material;

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

    /// <summary>Encrypts; throws <see cref="DataKeyEvictedException"/> (having encrypted nothing) when the key was evicted.</summary>
    public void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        Acquire();
        try
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
        finally
        {
            Release();
        }
    }

    /// <summary>
    /// Decrypts and authenticates; false when the tag does not verify. Throws <see cref="DataKeyEvictedException"/> (having
    /// decrypted nothing) when the key was evicted.
    /// </summary>
    public bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        Acquire();
        try
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
        finally
        {
            Release();
        }
    }

    /// <summary>
    /// The raw key, for wrapping it and for keyed hashing (blind indexes), valid until the lease is disposed (use it in a
    /// <see langword="using"/>). Never logged, never returned to callers. Throws <see cref="DataKeyEvictedException"/> when
    /// the key was evicted.
    /// </summary>
    public DataKeyMaterialLease LeaseMaterial()
    {
        Acquire();
        return new DataKeyMaterialLease(this);
    }

    /// <summary>Evicts the key: refuses new uses, and zeroes the material once the uses in flight end (at once when none is). Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Or(ref _state, EvictedFlag) == 0)
        {
            Zero(); // no use in flight, and not evicted before
        }
    }

    /// <summary>Ends a lease taken by <see cref="Acquire"/>; the last one after eviction zeroes the key.</summary>
    internal void Release()
    {
        if (Interlocked.Decrement(ref _state) == EvictedFlag)
        {
            Zero();
        }
    }

    private void Acquire()
    {
        if ((Interlocked.Increment(ref _state) & EvictedFlag) != 0)
        {
            Release();
            throw new DataKeyEvictedException(Id);
        }

        if (WhileLeasedHookForTests is { } hook)
        {
            try
            {
                hook(this);
            }
            catch
            {
                Release();
                throw;
            }
        }
    }

    private void Zero()
    {
        if (Interlocked.Exchange(ref _zeroed, 1) == 0)
        {
            CryptographicOperations.ZeroMemory(_material);
            Interlocked.Exchange(ref _idle, null)?.Dispose();
        }
    }

    private AesGcm Rent() => Interlocked.Exchange(ref _idle, null) ?? new AesGcm(_material, FieldCiphertext.TagSize);

    private void Return(AesGcm aes)
    {
        if (Interlocked.CompareExchange(ref _idle, aes, null) is not null)
        {
            aes.Dispose();
        }
    }
}
