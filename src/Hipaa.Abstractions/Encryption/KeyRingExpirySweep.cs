namespace Hipaa.Encryption;

/// <summary>
/// The timer that evicts (and so zeroes) a key ring's expired keys. It holds the ring weakly, so a ring nobody disposed
/// does not stay alive for its timer; the timer stops itself once the ring is gone.
/// </summary>
internal sealed class KeyRingExpirySweep
{
    private readonly WeakReference<KeyRing> _ring;
    private ITimer? _timer;

    private KeyRingExpirySweep(KeyRing ring) => _ring = new WeakReference<KeyRing>(ring);

    /// <summary>Starts sweeping <paramref name="ring"/> every <paramref name="interval"/>; dispose the result to stop.</summary>
    public static ITimer Start(KeyRing ring, TimeProvider time, TimeSpan interval)
    {
        var sweep = new KeyRingExpirySweep(ring);
        var timer = time.CreateTimer(static state => ((KeyRingExpirySweep)state!).Run(), sweep, interval, interval);
        sweep._timer = timer;
        return timer;
    }

    private void Run()
    {
        if (_ring.TryGetTarget(out var ring))
        {
            ring.EvictExpired();
        }
        else
        {
            _timer?.Dispose();
        }
    }
}
