using Hipaa.Encryption;
using Microsoft.Extensions.Time.Testing;

namespace Hipaa.Tests.Encryption;

public sealed class SingleFlightCacheTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task GetOrLoadAsync_SixteenConcurrentFirstRequests_RunTheLoaderOnce()
    {
        const int Callers = 16;
        var cache = new SingleFlightCache<string, object>(100, Lifetime, _time);
        var loads = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var start = new Barrier(Callers);
        using var inFlight = new CountdownEvent(Callers);
        SingleFlightCache<string, object>.Loader load = async (key, async, cancellationToken) =>
        {
            Interlocked.Increment(ref loads);
            await gate.Task;
            return new object();
        };

        var callers = Enumerable.Range(0, Callers).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                var pending = cache.GetOrLoadAsync("dek-1", load, async: true, CancellationToken.None);
                inFlight.Signal();
                return pending.AsTask();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap()).ToArray();

        // Every caller has asked and is waiting while the one load is held at the gate.
        await Task.Run(() => inFlight.Wait(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, inFlight.CurrentCount);
        Assert.All(callers, c => Assert.False(c.IsCompleted));
        Assert.Equal(1, Volatile.Read(ref loads));

        gate.SetResult();
        var values = await Task.WhenAll(callers);

        Assert.Equal(1, loads);
        Assert.Single(values.Distinct());
    }

    [Fact]
    public async Task GetOrLoadAsync_SynchronousCallersDuringAnAsynchronousLoad_ShareIt()
    {
        var cache = new SingleFlightCache<string, object>(100, Lifetime, _time);
        var loads = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        SingleFlightCache<string, object>.Loader load = async (key, async, cancellationToken) =>
        {
            Interlocked.Increment(ref loads);
            if (async)
            {
                await gate.Task;
            }

            return new object();
        };
        var leader = cache.GetOrLoadAsync("dek-1", load, async: true, CancellationToken.None).AsTask();
        Assert.False(leader.IsCompleted);

        var followers = Enumerable.Range(0, 4).Select(_ => Task.Run(() => GetSynchronously(cache, "dek-1", load))).ToArray();
        gate.SetResult();
        var values = await Task.WhenAll(followers.Append(leader));

        Assert.Equal(1, loads);
        Assert.Single(values.Distinct());
    }

    [Fact]
    public async Task GetOrLoadAsync_AfterTheLifetime_LoadsAgainOnceAndNotBefore()
    {
        var cache = new SingleFlightCache<string, int>(100, Lifetime, _time);
        var loads = 0;
        SingleFlightCache<string, int>.Loader load = (key, async, cancellationToken) => ValueTask.FromResult(Interlocked.Increment(ref loads));

        Assert.Equal(1, await cache.GetOrLoadAsync("dek-1", load, async: true, CancellationToken.None));
        _time.Advance(Lifetime - TimeSpan.FromTicks(1));
        Assert.Equal(1, await cache.GetOrLoadAsync("dek-1", load, async: true, CancellationToken.None));
        Assert.Equal(1, GetSynchronously(cache, "dek-1", load));

        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(2, await cache.GetOrLoadAsync("dek-1", load, async: true, CancellationToken.None));
        Assert.Equal(2, await cache.GetOrLoadAsync("dek-1", load, async: true, CancellationToken.None));

        _time.Advance(Lifetime);
        Assert.Equal(3, GetSynchronously(cache, "dek-1", load));
        Assert.Equal(3, loads);
    }

    [Fact]
    public async Task GetOrLoadAsync_LifetimeCountsFromTheEndOfASlowLoad()
    {
        var cache = new SingleFlightCache<string, int>(100, Lifetime, _time);
        var loads = 0;
        SingleFlightCache<string, int>.Loader load = (key, async, cancellationToken) =>
        {
            _time.Advance(TimeSpan.FromMinutes(3)); // the key service is slow
            return ValueTask.FromResult(Interlocked.Increment(ref loads));
        };

        await cache.GetOrLoadAsync("dek-1", load, async: true, CancellationToken.None);
        _time.Advance(Lifetime - TimeSpan.FromSeconds(1));

        Assert.Equal(1, await cache.GetOrLoadAsync("dek-1", load, async: true, CancellationToken.None));
    }

    [Fact]
    public async Task GetOrLoadAsync_FailedLoad_IsNotCachedAndTheNextRequestLoadsAgain()
    {
        var cache = new SingleFlightCache<string, string>(100, Lifetime, _time);
        var loads = 0;
        SingleFlightCache<string, string>.Loader load = (key, async, cancellationToken) =>
            Interlocked.Increment(ref loads) == 1
                ? throw new InvalidOperationException("key service down")
                : ValueTask.FromResult("key");

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await cache.GetOrLoadAsync("dek-1", load, async: true, CancellationToken.None));
        Assert.Equal(0, cache.Count);

        Assert.Equal("key", await cache.GetOrLoadAsync("dek-1", load, async: true, CancellationToken.None));
        Assert.Equal("key", await cache.GetOrLoadAsync("dek-1", load, async: true, CancellationToken.None));
        Assert.Equal(2, loads);
    }

    [Fact]
    public async Task GetOrLoadAsync_FailedSharedLoad_FailsEveryWaiterOnceThenRetries()
    {
        var cache = new SingleFlightCache<string, string>(100, Lifetime, _time);
        var loads = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        SingleFlightCache<string, string>.Loader load = async (key, async, cancellationToken) =>
        {
            if (Interlocked.Increment(ref loads) == 1)
            {
                await gate.Task;
                throw new InvalidOperationException("key service down");
            }

            return "key";
        };
        var waiters = Enumerable.Range(0, 8).Select(_ => cache.GetOrLoadAsync("dek-1", load, async: true, CancellationToken.None).AsTask()).ToArray();

        gate.SetResult();

        foreach (var waiter in waiters)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => waiter);
        }

        Assert.Equal(1, loads);
        Assert.Equal("key", await cache.GetOrLoadAsync("dek-1", load, async: true, CancellationToken.None));
        Assert.Equal(2, loads);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(64)]
    public async Task GetOrLoadAsync_ManyDistinctKeys_NeverHoldsMoreThanTheCapacity(int capacity)
    {
        var cache = new SingleFlightCache<int, int>(capacity, Lifetime, _time);
        var loads = 0;
        SingleFlightCache<int, int>.Loader load = (key, async, cancellationToken) =>
        {
            Interlocked.Increment(ref loads);
            return ValueTask.FromResult(key * 2);
        };

        for (var key = 0; key < capacity * 10; key++)
        {
            Assert.Equal(key * 2, await cache.GetOrLoadAsync(key, load, async: true, CancellationToken.None));
            Assert.InRange(cache.Count, 1, capacity);

            // The key just loaded is served from the cache.
            Assert.Equal(key * 2, await cache.GetOrLoadAsync(key, load, async: true, CancellationToken.None));
            Assert.Equal(key + 1, loads);
        }
    }

    [Fact]
    public async Task GetOrLoadAsync_OverCapacity_EvictsTheOldestEntriesAndKeepsTheNewest()
    {
        var cache = new SingleFlightCache<int, int>(10, Lifetime, _time);
        var loads = new List<int>();
        SingleFlightCache<int, int>.Loader load = (key, async, cancellationToken) =>
        {
            loads.Add(key);
            return ValueTask.FromResult(key);
        };
        for (var key = 0; key <= 10; key++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await cache.GetOrLoadAsync(key, load, async: true, CancellationToken.None);
        }

        // Eleven entries in a cache of ten: trimmed to nine tenths, the two oldest leave.
        Assert.Equal(9, cache.Count);
        loads.Clear();
        for (var key = 10; key >= 0; key--)
        {
            await cache.GetOrLoadAsync(key, load, async: true, CancellationToken.None);
            if (key == 2)
            {
                Assert.Empty(loads); // 10 down to 2 were all still cached
            }
        }

        Assert.Equal([1, 0], loads);
    }

    [Fact]
    public async Task RemoveAndAddAgain_ManyTimes_TheEvictionOrderStaysBoundedByTheCapacity()
    {
        var cache = new SingleFlightCache<int, int>(16, Lifetime, _time);
        SingleFlightCache<int, int>.Loader load = (key, async, cancellationToken) => ValueTask.FromResult(key);
        for (var i = 0; i < 50_000; i++)
        {
            var key = i % 8;
            await cache.GetOrLoadAsync(key, load, async: true, CancellationToken.None);
            cache.Remove(key);
            Assert.InRange(cache.OrderLength, 0, (2 * 16) + 1024 + 1);
        }

        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task GetOrLoadAsync_OverCapacity_EvictsExpiredEntriesFirst()
    {
        var cache = new SingleFlightCache<int, int>(4, Lifetime, _time);
        SingleFlightCache<int, int>.Loader load = (key, async, cancellationToken) => ValueTask.FromResult(key);
        for (var key = 0; key < 4; key++)
        {
            await cache.GetOrLoadAsync(key, load, async: true, CancellationToken.None);
        }

        _time.Advance(Lifetime);
        await cache.GetOrLoadAsync(100, load, async: true, CancellationToken.None);

        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task GetOrLoadAsync_LoadForOneKeyBlocked_DoesNotBlockALoadForAnother()
    {
        var cache = new SingleFlightCache<string, string>(100, Lifetime, _time);
        var gateA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var enteredA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        SingleFlightCache<string, string>.Loader load = async (key, async, cancellationToken) =>
        {
            if (key == "A")
            {
                enteredA.SetResult();
                await gateA.Task;
            }

            return "value of " + key;
        };

        var a = Task.Run(async () => await cache.GetOrLoadAsync("A", load, async: true, CancellationToken.None));
        await enteredA.Task;

        // Synchronously and asynchronously, B completes while A's load is still held.
        Assert.Equal("value of B", GetSynchronously(cache, "B", load));
        Assert.Equal("value of C", await cache.GetOrLoadAsync("C", load, async: true, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(a.IsCompleted);

        gateA.SetResult();
        Assert.Equal("value of A", await a);
    }

    [Fact]
    public async Task GetOrLoadAsync_WaiterCancels_OnlyThatWaiterIsCancelled()
    {
        var cache = new SingleFlightCache<string, string>(100, Lifetime, _time);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loads = 0;
        SingleFlightCache<string, string>.Loader load = async (key, async, cancellationToken) =>
        {
            Interlocked.Increment(ref loads);
            await gate.Task;
            return "key";
        };
        var leader = cache.GetOrLoadAsync("dek-1", load, async: true, CancellationToken.None).AsTask();
        using var cancellation = new CancellationTokenSource();
        var impatient = cache.GetOrLoadAsync("dek-1", load, async: true, cancellation.Token).AsTask();

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);
        Assert.False(leader.IsCompleted);
        gate.SetResult();
        Assert.Equal("key", await leader);
        Assert.Equal(1, loads);
    }

    /// <summary>
    /// BUG (src/Hipaa.Abstractions/Encryption/SingleFlightCache.cs): the shared load runs with the first caller's
    /// cancellation token. When that caller gives up (an aborted HTTP request), every other caller waiting for the same
    /// key fails with OperationCanceledException although none of them cancelled. The shared load should run with
    /// CancellationToken.None (each caller already waits with its own token through WaitAsync).
    /// </summary>
    [Fact]
    public async Task GetOrLoadAsync_FirstCallerCancels_OtherWaitersStillGetTheValue()
    {
        var cache = new SingleFlightCache<string, string>(100, Lifetime, _time);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        SingleFlightCache<string, string>.Loader load = async (key, async, cancellationToken) =>
        {
            // A well-behaved loader (a KEK call) honours the token it is given.
            await gate.Task.WaitAsync(cancellationToken);
            return "key";
        };
        using var leaderCancellation = new CancellationTokenSource();
        var leader = cache.GetOrLoadAsync("dek-1", load, async: true, leaderCancellation.Token).AsTask();
        var follower = cache.GetOrLoadAsync("dek-1", load, async: true, CancellationToken.None).AsTask();

        await leaderCancellation.CancelAsync();
        gate.SetResult();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leader);
        Assert.Equal("key", await follower);
    }

    [Fact]
    public async Task RemoveAndClear_DropEntries_SoTheNextRequestLoadsAgain()
    {
        var cache = new SingleFlightCache<string, int>(100, Lifetime, _time);
        var loads = 0;
        SingleFlightCache<string, int>.Loader load = (key, async, cancellationToken) => ValueTask.FromResult(Interlocked.Increment(ref loads));
        await cache.GetOrLoadAsync("a", load, async: true, CancellationToken.None);
        await cache.GetOrLoadAsync("b", load, async: true, CancellationToken.None);

        cache.Remove("a");
        Assert.Equal(3, await cache.GetOrLoadAsync("a", load, async: true, CancellationToken.None));
        Assert.Equal(2, await cache.GetOrLoadAsync("b", load, async: true, CancellationToken.None));

        cache.Clear();
        Assert.Equal(0, cache.Count);
        Assert.Equal(4, await cache.GetOrLoadAsync("b", load, async: true, CancellationToken.None));
    }

    [Fact]
    public void Constructor_NonPositiveCapacityOrLifetime_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SingleFlightCache<int, int>(0, Lifetime, _time));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SingleFlightCache<int, int>(1, TimeSpan.Zero, _time));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SingleFlightCache<int, int>(1, TimeSpan.FromSeconds(-1), _time));
    }

    /// <summary>The synchronous path (EF Core materialization): the loader runs with async false and nothing is awaited.</summary>
    private static TValue GetSynchronously<TKey, TValue>(SingleFlightCache<TKey, TValue> cache, TKey key, SingleFlightCache<TKey, TValue>.Loader load)
        where TKey : notnull
    {
        var pending = cache.GetOrLoadAsync(key, load, async: false, CancellationToken.None);
        return pending.IsCompleted ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }
}
