using System.Globalization;

namespace Hipaa.EfCore.Auditing.Reports;

/// <summary>
/// One user id active from several places at once, for longer than one person moving between workstations would be: a
/// shared login, which breaks unique user identification (45 CFR 164.312(a)(2)(i)), or a stolen credential.
/// </summary>
public sealed class SharedLoginFinding
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="actorId">The user id.</param>
    /// <param name="kind">What differs between the places.</param>
    /// <param name="from">When the overlap began.</param>
    /// <param name="to">When it ended.</param>
    /// <param name="places">The places, each with its accesses within the overlap; at least two.</param>
    internal SharedLoginFinding(string actorId, SharedLoginFindingKind kind, DateTimeOffset from, DateTimeOffset to, IReadOnlyList<SharedLoginPlace> places)
    {
        ActorId = actorId;
        Kind = kind;
        From = from;
        To = to;
        Places = places;
    }

    /// <summary>Gets the user id.</summary>
    public string ActorId { get; }

    /// <summary>Gets what differs between the places.</summary>
    public SharedLoginFindingKind Kind { get; }

    /// <summary>Gets when the user id was first active from two places at once.</summary>
    public DateTimeOffset From { get; }

    /// <summary>Gets when that ended.</summary>
    public DateTimeOffset To { get; }

    /// <summary>Gets the places, busiest first, each with its accesses between <see cref="From"/> and <see cref="To"/>.</summary>
    public IReadOnlyList<SharedLoginPlace> Places { get; }

    /// <summary>Gets the finding in one sentence, for a compliance officer.</summary>
    public string Explanation
    {
        get
        {
            var what = Kind == SharedLoginFindingKind.SeveralAddresses ? "client addresses" : "client applications on one address";
            var places = string.Join("; ", Places.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p}: {p.Accesses} accesses")));
            return string.Create(
                CultureInfo.InvariantCulture,
                $"User {ActorId} was active from {Places.Count} {what} at once from {From.UtcDateTime:yyyy-MM-dd HH:mm:ss} to {To.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC ({places}), which one person does not do: a shared login (45 CFR 164.312(a)(2)(i), unique user identification) or a stolen credential.");
        }
    }

    /// <inheritdoc cref="Explanation"/>
    /// <returns><see cref="Explanation"/>.</returns>
    public override string ToString() => Explanation;
}
