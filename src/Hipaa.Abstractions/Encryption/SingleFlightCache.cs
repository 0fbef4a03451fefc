using System.Collections.Concurrent;

namespace Hipaa.Encryption;

/// <summary>
/// A bounded, time-limited cache in which concurrent first requests for one key share a single load, and no lock is
/// held while a load runs (a load may call a remote key service). Failed loads are not cached.
/// </summary>
/// <remarks>
/// Every loaded value that leaves the cache — expired (<see cref="RemoveExpired"/>, or found expired), trimmed, removed,
/// cleared, disposed, or finished loading after its entry was removed — is handed to the eviction callback exactly when it
/// leaves (possibly more than once: the callback must be idempotent). Values callers still hold stay usable only as far as
/// the callback allows: the key ring zeroes keys there, and a key guards its own uses (<see cref="DataKey"/>).
/// </remarks>
internal sealed class SingleFlightCache<TKey, TValue> : IDisposable
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Entry> _entries = new();

    /// <summary>
    /// Every entry in the order it was added: with one lifetime for all, also the order in which they expire, so trimming
    /// takes the oldest from the front instead of sorting the cache (profiled: sorting 10,000 entries each time 1,000 new
    /// patients' keys were added cost more than encrypting their values). Entries removed otherwise stay here until they
    /// reach the front, or until the queue outgrows the cache and is rebuilt.
    /// </summary>
    private readonly ConcurrentQueue<KeyValuePair<TKey, Entry>> _order = new();
    private int _ordered;
    private readonly int _capacity;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;
    private readonly Action<TValue>? _evicted;
    private int _evicting;

    /// <summary>
    /// The entries' count, kept beside the dictionary: <see cref="ConcurrentDictionary{TKey, TValue}.Count"/> takes every
    /// bucket lock, and the capacity check runs on every add (profiled: a tenth of a 100-new-patient insert went there).
    /// </summary>
    private int _count;
    private volatile bool _disposed;

    public SingleFlightCache(int capacity, TimeSpan lifetime, TimeProvider time, Action<TValue>? evicted = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        _capacity = capacity;
        _lifetime = lifetime;
        _time = time;
        _evicted = evicted;
    }

    public delegate ValueTask<TValue> Loader(TKey key, bool async, CancellationToken cancellationToken);

    public int Count => Volatile.Read(ref _count);

    /// <summary>How many places the eviction order holds, removed entries not yet dropped included (for tests).</summary>
    internal int OrderLength => Volatile.Read(ref _ordered);

    /// <summary>The cached value when it is loaded and fresh: the synchronous fast path of every cache hit.</summary>
    public bool TryGetFresh(TKey key, out TValue value)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.Completion.Task.IsCompletedSuccessfully && !entry.IsExpired(_time.GetUtcNow()))
        {
            value = entry.Completion.Task.Result;
            return true;
        }

        value = default!;
        return false;
    }

    /// <summary>
    /// Returns the cached value or loads it. With <paramref name="async"/> false the loader must complete synchronously
    /// and so does this method.
    /// </summary>
    public async ValueTask<TValue> GetOrLoadAsync(TKey key, Loader load, bool async, CancellationToken cancellationToken)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _time.GetUtcNow();
            if (_entries.TryGetValue(key, out var existing))
            {
                if (!existing.IsExpired(now))
                {
                    if (existing.Completion.Task.IsCompletedSuccessfully)
                    {
                        return existing.Completion.Task.Result;
                    }

                    return async
                        ? await existing.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false)
                        : existing.Completion.Task.GetAwaiter().GetResult();
                }

                TryRemove(new KeyValuePair<TKey, Entry>(key, existing));
                continue;
            }

            var mine = new Entry();
            if (!_entries.TryAdd(key, mine))
            {
                continue;
            }

            Interlocked.Increment(ref _count);
            Enqueue(key, mine);

            TrimIfOverCapacity(now);

            // The load is shared by every caller waiting for this key, so no single caller's token may cancel it; each
            // caller's token only stops that caller's wait.
            var loading = LoadAsync(key, mine, load, async);
            if (!async)
            {
                loading.GetAwaiter().GetResult();
                return mine.Completion.Task.GetAwaiter().GetResult();
            }

            return await mine.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs the shared load and publishes its outcome in the entry; never throws (callers read the entry).</summary>
    private async Task LoadAsync(TKey key, Entry mine, Loader load, bool async)
    {
        try
        {
            var value = await load(key, async, CancellationToken.None).ConfigureAwait(false);
            mine.ExpiresAt = _time.GetUtcNow() + _lifetime;
            mine.Completion.SetResult(value);

            // Removed (or the cache disposed) while loading: nothing else will ever evict it.
            if (_disposed || !_entries.TryGetValue(key, out var current) || current != mine)
            {
                _evicted?.Invoke(value);
            }
        }
        catch (Exception exception)
        {
            if (_entries.TryRemove(new KeyValuePair<TKey, Entry>(key, mine)))
            {
                Interlocked.Decrement(ref _count);
            }

            mine.Completion.SetException(exception);

            // Observed here, so a load abandoned by a cancelled caller never becomes an unobserved task exception.
            _ = mine.Completion.Task.Exception;
        }
    }

    /// <summary>
    /// Caches a value loaded elsewhere (a batch load) unless the key is cached or loading already; false, changing
    /// nothing, when it is.
    /// </summary>
    public bool TryAdd(TKey key, TValue value)
    {
        if (_disposed)
        {
            return false;
        }

        var now = _time.GetUtcNow();
        var entry = new Entry { ExpiresAt = now + _lifetime };
        entry.Completion.SetResult(value);
        if (_entries.TryGetValue(key, out var existing) && !existing.IsExpired(now))
        {
            return false;
        }

        if (existing is not null)
        {
            TryRemove(new KeyValuePair<TKey, Entry>(key, existing));
        }

        if (!_entries.TryAdd(key, entry))
        {
            return false;
        }

        Interlocked.Increment(ref _count);
        Enqueue(key, entry);
        TrimIfOverCapacity(now);
        return true;
    }

    /// <summary>Removes the entry for <paramref name="key"/> only if it still holds <paramref name="value"/>.</summary>
    public void Remove(TKey key, TValue value)
    {
        if (_entries.TryGetValue(key, out var entry)
            && entry.Completion.Task.IsCompletedSuccessfully
            && EqualityComparer<TValue>.Default.Equals(entry.Completion.Task.Result, value))
        {
            TryRemove(new KeyValuePair<TKey, Entry>(key, entry));
        }
    }

    public void Remove(TKey key)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            TryRemove(new KeyValuePair<TKey, Entry>(key, entry));
        }
    }

    public void Clear()
    {
        foreach (var pair in _entries)
        {
            TryRemove(pair);
        }
    }

    /// <summary>Evicts every entry whose lifetime is over (the key ring's timer calls this); returns how many.</summary>
    public int RemoveExpired()
    {
        var now = _time.GetUtcNow();
        var removed = 0;
        foreach (var pair in _entries)
        {
            if (pair.Value.IsExpired(now) && TryRemove(pair))
            {
                removed++;
            }
        }

        DropRemovedAtFront();
        return removed;
    }

    /// <summary>Evicts everything; from here on loads throw <see cref="ObjectDisposedException"/> and nothing is added.</summary>
    public void Dispose()
    {
        _disposed = true;
        Clear();
        DropRemovedAtFront();
    }

    /// <summary>
    /// Dequeues the entries at the front of <see cref="_order"/> that are no longer in the cache (skipped while a trim
    /// runs: only one thread at a time takes from the front, so what it peeked is what it dequeues).
    /// </summary>
    private void DropRemovedAtFront()
    {
        if (Interlocked.Exchange(ref _evicting, 1) == 1)
        {
            return;
        }

        try
        {
            while (_order.TryPeek(out var oldest)
                && !(_entries.TryGetValue(oldest.Key, out var stored) && stored == oldest.Value)
                && _order.TryDequeue(out _))
            {
                Interlocked.Decrement(ref _ordered);
            }
        }
        finally
        {
            Volatile.Write(ref _evicting, 0);
        }
    }

    private void Enqueue(TKey key, Entry entry)
    {
        _order.Enqueue(new KeyValuePair<TKey, Entry>(key, entry));
        Interlocked.Increment(ref _ordered);
    }

    /// <summary>
    /// Over capacity, evicts from the front of <see cref="_order"/> (the oldest, so the expired first) down to nine
    /// tenths of the capacity, and every expired entry it meets there; entries still loading go to the back.
    /// </summary>
    private void TrimIfOverCapacity(DateTimeOffset now)
    {
        var overCapacity = Volatile.Read(ref _count) > _capacity;
        var queueOutgrown = Volatile.Read(ref _ordered) > (2 * _capacity) + 1024;
        if ((!overCapacity && !queueOutgrown) || Interlocked.Exchange(ref _evicting, 1) == 1)
        {
            return;
        }

        try
        {
            if (queueOutgrown)
            {
                RebuildOrder();
            }

            var target = _capacity - (_capacity / 10);
            var skipped = 0;
            while (_order.TryPeek(out var oldest))
            {
                var current = _entries.TryGetValue(oldest.Key, out var stored) && stored == oldest.Value;
                var wanted = Volatile.Read(ref _count) > target || (current && oldest.Value.IsExpired(now));
                if (current && !wanted)
                {
                    break;
                }

                if (!_order.TryDequeue(out oldest))
                {
                    break;
                }

                Interlocked.Decrement(ref _ordered);
                if (!current)
                {
                    continue; // removed since (or replaced: the replacement has its own place further back)
                }

                if (!oldest.Value.Completion.Task.IsCompleted)
                {
                    // Still loading: it never expires yet and may not be evicted; keep its place at the back, and stop
                    // once every entry left is one (the cache may then stay over capacity until they complete).
                    Enqueue(oldest.Key, oldest.Value);
                    if (++skipped > Volatile.Read(ref _ordered))
                    {
                        break;
                    }

                    continue;
                }

                TryRemove(oldest);
            }
        }
        finally
        {
            Volatile.Write(ref _evicting, 0);
        }
    }

    /// <summary>Drops the removed entries from <see cref="_order"/>: the live ones in the order they expire.</summary>
    private void RebuildOrder()
    {
        // Only what was queued before the snapshot is dropped: an entry added meanwhile keeps its place (at worst twice).
        var queued = Volatile.Read(ref _ordered);
        var live = _entries.ToArray();
        Array.Sort(live, static (a, b) => a.Value.ExpiresAt.CompareTo(b.Value.ExpiresAt));
        for (var i = 0; i < queued && _order.TryDequeue(out _); i++)
        {
            Interlocked.Decrement(ref _ordered);
        }

        foreach (var pair in live)
        {
            Enqueue(pair.Key, pair.Value);
        }
    }

    /// <summary>Removes the entry if it is still the one stored, and evicts its value if it has one (a load in flight evicts its own).</summary>
    private bool TryRemove(KeyValuePair<TKey, Entry> pair)
    {
        if (!_entries.TryRemove(pair))
        {
            return false;
        }

        Interlocked.Decrement(ref _count);

        if (pair.Value.Completion.Task.IsCompletedSuccessfully)
        {
            _evicted?.Invoke(pair.Value.Completion.Task.Result);
        }

        return true;
    }

    private sealed class Entry
    {
        public TaskCompletionSource<TValue> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Set once the load completes; an entry still loading never expires.</summary>
        public DateTimeOffset ExpiresAt { get; set; } = DateTimeOffset.MaxValue;

        public bool IsExpired(DateTimeOffset now) => now >= ExpiresAt;
    }
}
