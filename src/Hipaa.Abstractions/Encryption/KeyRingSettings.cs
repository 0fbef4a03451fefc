namespace Hipaa.Encryption;

/// <summary>How the key ring caches keys and bounds their use.</summary>
internal sealed record KeyRingSettings
{
    /// <summary>How long an unwrapped key stays cached; also the bound within which other instances see a shred or roll.</summary>
    public TimeSpan CacheLifetime { get; init; } = TimeSpan.FromMinutes(5);

    public int CacheCapacity { get; init; } = 10_000;

    /// <summary>
    /// How often the cache is swept for expired keys, which are zeroed: a quarter of <see cref="CacheLifetime"/>, between one
    /// second and one minute. So an unwrapped key stays in memory at most this long past its lifetime (5 min + 1 min by default).
    /// </summary>
    public TimeSpan ExpirySweepInterval =>
        TimeSpan.FromTicks(Math.Clamp(CacheLifetime.Ticks / 4, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));

    /// <summary>
    /// How long an instance encrypts with a cached data key before it asks the key store again whether the key is still
    /// active: the bound within which a shred or roll on another instance stops this instance's writes under the old key.
    /// </summary>
    public TimeSpan KeyStateRecheckInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The pin of this deployment's first intermediate key (<see cref="RootKeyAuthenticator.Pin"/>), or
    /// <see langword="null"/> to trust it on first use. When set, a key table whose first intermediate key is another is refused.
    /// </summary>
    public string? RootKeyPin { get; init; }

    /// <summary>The key-wrap algorithm asked of the KEK for intermediate keys.</summary>
    public string KeyWrapAlgorithm { get; init; } = Encryption.KeyWrapAlgorithm.AesKeyWrap256;

    /// <summary>
    /// NIST SP 800-38D §8.3: with random 96-bit nonces, at most 2^32 encryptions per key. A key is rolled automatically
    /// before its reservations would pass this.
    /// </summary>
    public long MaxInvocationsPerKey { get; init; } = 1L << 32;

    /// <summary>Encryptions one instance reserves at a time in the key table.</summary>
    public long InvocationReservationBlock { get; init; } = 1L << 16;
}
