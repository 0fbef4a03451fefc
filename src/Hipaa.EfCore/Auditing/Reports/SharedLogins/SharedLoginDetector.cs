namespace Hipaa.EfCore.Auditing.Reports;

/// <summary>
/// Finds shared logins in a user's accesses, fed in time order per user (<see cref="Add"/>; users one after another or
/// interleaved). A user's accesses from one place — client address and client application — form sessions, each ending
/// after <see cref="SharedLoginDetectionOptions.IdleTimeout"/> without an access there. Sessions from different places
/// that overlap for at least <see cref="SharedLoginDetectionOptions.MinimumOverlap"/> are one finding, together with every
/// session overlapping them: one person moving between machines leaves sessions one after another, never overlapping.
/// </summary>
internal sealed class SharedLoginDetector
{
    private readonly SharedLoginDetectionOptions _options;
    private readonly Dictionary<string, UserActivity> _users = new(StringComparer.Ordinal);

    public SharedLoginDetector(SharedLoginDetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <summary>Adds one access; a user's accesses must come in time order.</summary>
    /// <exception cref="ArgumentException">An access of the user earlier than the last one added.</exception>
    public void Add(string actorId, DateTimeOffset at, string clientAddress, string? clientApplication)
    {
        if (!_users.TryGetValue(actorId, out var user))
        {
            user = new UserActivity();
            _users.Add(actorId, user);
        }

        if (at < user.Last)
        {
            throw new ArgumentException($"The accesses of user {actorId} must be added in time order: {at:O} came after {user.Last:O}.", nameof(at));
        }

        user.Last = at;
        var place = (clientAddress, clientApplication);
        if (!user.Open.TryGetValue(place, out var session) || at - session.End > _options.IdleTimeout)
        {
            session = new Session(clientAddress, clientApplication, at);
            user.Open[place] = session;
            user.Sessions.Add(session);
        }

        session.End = at;
        session.Accesses.Add(at);
    }

    /// <summary>The findings of every user added so far, by user id and time.</summary>
    public List<SharedLoginFinding> Findings()
    {
        var findings = new List<SharedLoginFinding>();
        foreach (var (actorId, user) in _users.OrderBy(u => u.Key, StringComparer.Ordinal))
        {
            findings.AddRange(FindingsOf(actorId, user.Sessions));
        }

        return findings;
    }

    private IEnumerable<SharedLoginFinding> FindingsOf(string actorId, List<Session> sessions)
    {
        // Sessions are in order of their start. Overlapping pairs from different places join a cluster (union-find).
        var parent = Enumerable.Range(0, sessions.Count).ToArray();
        var spans = new Dictionary<int, (DateTimeOffset From, DateTimeOffset To)>();
        for (var i = 0; i < sessions.Count; i++)
        {
            for (var j = i + 1; j < sessions.Count && sessions[j].Start <= sessions[i].End; j++)
            {
                var (a, b) = (sessions[i], sessions[j]);
                if (a.Address == b.Address && a.Application == b.Application)
                {
                    continue;
                }

                var from = b.Start; // b starts no earlier than a
                var to = a.End < b.End ? a.End : b.End;
                if (to - from < _options.MinimumOverlap)
                {
                    continue;
                }

                var (ri, rj) = (Root(parent, i), Root(parent, j));
                var span = Merge(spans, ri, Merge(spans, rj, (from, to)));
                parent[rj] = ri;
                spans.Remove(rj);
                spans[ri] = span;
            }
        }

        foreach (var group in Enumerable.Range(0, sessions.Count).GroupBy(i => Root(parent, i)).Where(g => spans.ContainsKey(g.Key)))
        {
            var (from, to) = spans[group.Key];
            var places = group
                .Select(i => sessions[i])
                .GroupBy(s => (s.Address, s.Application))
                .Select(g =>
                {
                    var within = g.SelectMany(s => s.Accesses).Where(t => t >= from && t <= to).Order().ToList();
                    return within.Count == 0 ? null : new SharedLoginPlace(g.Key.Address, g.Key.Application, within.Count, within[0], within[^1]);
                })
                .OfType<SharedLoginPlace>()
                .OrderByDescending(p => p.Accesses)
                .ThenBy(p => p.ClientAddress, StringComparer.Ordinal)
                .ThenBy(p => p.ClientApplication, StringComparer.Ordinal)
                .ToList();
            if (places.Count < 2)
            {
                continue;
            }

            var kind = places.Select(p => p.ClientAddress).Distinct(StringComparer.Ordinal).Count() > 1
                ? SharedLoginFindingKind.SeveralAddresses
                : SharedLoginFindingKind.SeveralApplications;
            yield return new SharedLoginFinding(actorId, kind, from, to, places);
        }
    }

    private static (DateTimeOffset From, DateTimeOffset To) Merge(Dictionary<int, (DateTimeOffset From, DateTimeOffset To)> spans, int root, (DateTimeOffset From, DateTimeOffset To) span) =>
        spans.TryGetValue(root, out var known)
            ? (known.From < span.From ? known.From : span.From, known.To > span.To ? known.To : span.To)
            : span;

    private static int Root(int[] parent, int i)
    {
        while (parent[i] != i)
        {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }

        return i;
    }

    private sealed class UserActivity
    {
        public DateTimeOffset Last { get; set; } = DateTimeOffset.MinValue;

        public Dictionary<(string Address, string? Application), Session> Open { get; } = [];

        public List<Session> Sessions { get; } = [];
    }

    private sealed class Session(string address, string? application, DateTimeOffset start)
    {
        public string Address { get; } = address;

        public string? Application { get; } = application;

        public DateTimeOffset Start { get; } = start;

        public DateTimeOffset End { get; set; } = start;

        public List<DateTimeOffset> Accesses { get; } = [];
    }
}
