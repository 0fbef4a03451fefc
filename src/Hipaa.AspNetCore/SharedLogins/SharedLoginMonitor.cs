using System.Collections.Concurrent;

namespace Hipaa.AspNetCore;

/// <summary>
/// Where each user was last seen, per place, within the concurrency window, in this process. A request from place P
/// raises an alert when the user was seen at another place Q after their previous request from P and within the window —
/// back and forth between two places, which one person moving to another workstation does not do — or, under
/// <see cref="SharedLoginCheckOptions.RefuseConcurrentSessions"/>, as soon as Q was seen within the window.
/// </summary>
internal sealed class SharedLoginMonitor(TimeProvider time)
{
    private const int MaxPlacesPerUser = 16;
    private const int SweepEvery = 4_096;

    private readonly ConcurrentDictionary<string, List<Sighting>> _users = new(StringComparer.Ordinal);
    private int _observations;

    /// <summary>Records a request and returns the alert it raises, if any (its <see cref="SharedLoginAlert.Refused"/> says whether to refuse it).</summary>
    public SharedLoginAlert? Observe(string actorId, string clientAddress, string? clientApplication, SharedLoginCheckOptions options)
    {
        var now = time.GetUtcNow();
        var window = options.ConcurrencyWindow;
        if (Interlocked.Increment(ref _observations) % SweepEvery == 0)
        {
            Sweep(now, window);
        }

        while (true)
        {
            var sightings = _users.GetOrAdd(actorId, static _ => []);
            lock (sightings)
            {
                if (!_users.TryGetValue(actorId, out var current) || !ReferenceEquals(current, sightings))
                {
                    continue; // swept away between the lookup and the lock
                }

                return Observe(sightings, actorId, clientAddress, clientApplication, options, now, window);
            }
        }
    }

    private static SharedLoginAlert? Observe(List<Sighting> sightings, string actorId, string clientAddress, string? clientApplication, SharedLoginCheckOptions options, DateTimeOffset now, TimeSpan window)
    {
        {
            sightings.RemoveAll(s => now - s.LastSeen > window);
            var own = sightings.Find(s => s.Address == clientAddress && s.Application == clientApplication);
            SharedLoginAlert? alert = null;
            foreach (var other in sightings)
            {
                if (ReferenceEquals(other, own))
                {
                    continue;
                }

                var refuse = options.RefuseConcurrentSessions;
                var backAndForth = own is not null && other.LastSeen >= own.LastSeen;
                if ((refuse || backAndForth) && (alert is null || other.LastSeen > alert.OtherLastSeen))
                {
                    alert = new SharedLoginAlert(actorId, clientAddress, clientApplication, other.Address, other.Application, other.LastSeen, now, refuse);
                }
            }

            if (alert is { Refused: true })
            {
                return alert; // a refused request does not count as a sighting: the first place keeps the session
            }

            if (own is null)
            {
                if (sightings.Count >= MaxPlacesPerUser)
                {
                    sightings.Sort((a, b) => a.LastSeen.CompareTo(b.LastSeen));
                    sightings.RemoveAt(0);
                }

                sightings.Add(new Sighting(clientAddress, clientApplication) { LastSeen = now });
            }
            else
            {
                own.LastSeen = now;
            }

            return alert;
        }
    }

    /// <summary>Forgets users not seen within the window, so memory follows the number of active users.</summary>
    private void Sweep(DateTimeOffset now, TimeSpan window)
    {
        foreach (var (actorId, sightings) in _users)
        {
            lock (sightings)
            {
                sightings.RemoveAll(s => now - s.LastSeen > window);
                if (sightings.Count == 0)
                {
                    _users.TryRemove(new KeyValuePair<string, List<Sighting>>(actorId, sightings));
                }
            }
        }
    }

    private sealed class Sighting(string address, string? application)
    {
        public string Address { get; } = address;

        public string? Application { get; } = application;

        public DateTimeOffset LastSeen { get; set; }
    }
}
