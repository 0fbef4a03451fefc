namespace Hipaa.Policy;

/// <summary>
/// One of a patient's 42 CFR Part 2 consents or HIPAA authorizations: who may receive what, for which purposes,
/// during which period. Immutable; revocation makes a new instance with <see cref="Revoke(DateTimeOffset)"/>.
/// </summary>
/// <remarks>
/// A consent is valid at a time <c>at</c> when <c>From &lt;= at</c>, <c>Until</c> is missing or <c>at &lt; Until</c>, and
/// <c>RevokedAt</c> is missing or <c>at &lt; RevokedAt</c>. A consent whose window is empty (for example
/// <c>Until &lt;= From</c>) is never valid; it is kept as recorded rather than rejected.
/// </remarks>
public sealed class Consent
{
    /// <summary>The recipient wildcard: a consent naming <c>"*"</c> covers every recipient of the class it describes.</summary>
    public const string AnyRecipient = "*";

    private readonly string[] _recipients;
    private readonly PurposeOfUse[] _purposes;
    private readonly DataCategory[] _categories;

    /// <summary>Creates a consent or authorization.</summary>
    /// <param name="id">The consent's id, unique for the patient.</param>
    /// <param name="patientId">The patient who gave it.</param>
    /// <param name="kind">The legal instrument.</param>
    /// <param name="recipients">Receiving organizations, or <see cref="AnyRecipient"/>.</param>
    /// <param name="purposes">The purposes of use it covers.</param>
    /// <param name="categories">The data categories it covers, or <see cref="DataCategory.All"/>.</param>
    /// <param name="from">Start of validity.</param>
    /// <param name="until">End of validity (exclusive); <see langword="null"/> means until revoked.</param>
    /// <param name="revokedAt">When it was revoked (exclusive), or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">An id, recipient, purpose or category is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined <see cref="ConsentKind"/>.</exception>
    public Consent(
        string id,
        string patientId,
        ConsentKind kind,
        IEnumerable<string> recipients,
        IEnumerable<PurposeOfUse> purposes,
        IEnumerable<DataCategory> categories,
        DateTimeOffset from,
        DateTimeOffset? until = null,
        DateTimeOffset? revokedAt = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "The consent kind is not one of the defined ConsentKind values.");
        }

        ArgumentNullException.ThrowIfNull(recipients);
        ArgumentNullException.ThrowIfNull(purposes);
        ArgumentNullException.ThrowIfNull(categories);

        _recipients = [.. recipients];
        foreach (string recipient in _recipients)
        {
            if (string.IsNullOrWhiteSpace(recipient))
            {
                throw new ArgumentException($"Consent '{id}' names an empty recipient.", nameof(recipients));
            }
        }

        _purposes = [.. purposes];
        foreach (PurposeOfUse purpose in _purposes)
        {
            if (purpose.IsEmpty)
            {
                throw new ArgumentException($"Consent '{id}' names an empty purpose of use.", nameof(purposes));
            }
        }

        _categories = [.. categories];
        foreach (DataCategory category in _categories)
        {
            if (category.IsEmpty)
            {
                throw new ArgumentException($"Consent '{id}' names an empty data category.", nameof(categories));
            }
        }

        Id = id;
        PatientId = patientId;
        Kind = kind;
        From = from;
        Until = until;
        RevokedAt = revokedAt;
    }

    /// <summary>The consent's id.</summary>
    public string Id { get; }

    /// <summary>The patient who gave the consent.</summary>
    public string PatientId { get; }

    /// <summary>The legal instrument.</summary>
    public ConsentKind Kind { get; }

    /// <summary>Receiving organizations; <see cref="AnyRecipient"/> covers any.</summary>
    public IReadOnlyList<string> Recipients => _recipients;

    /// <summary>The purposes of use the consent covers.</summary>
    public IReadOnlyList<PurposeOfUse> Purposes => _purposes;

    /// <summary>The data categories the consent covers; <see cref="DataCategory.All"/> covers every category.</summary>
    public IReadOnlyList<DataCategory> Categories => _categories;

    /// <summary>Start of validity (inclusive).</summary>
    public DateTimeOffset From { get; }

    /// <summary>End of validity (exclusive); <see langword="null"/> means until revoked.</summary>
    public DateTimeOffset? Until { get; }

    /// <summary>When the consent was revoked (exclusive); <see langword="null"/> while not revoked.</summary>
    public DateTimeOffset? RevokedAt { get; }

    /// <summary>Whether the consent is in force at <paramref name="at"/>.</summary>
    /// <param name="at">The time of the request.</param>
    /// <returns><see langword="true"/> when <paramref name="at"/> is inside the validity window and before any revocation.</returns>
    public bool IsValidAt(DateTimeOffset at) =>
        From <= at
        && (Until is not { } until || at < until)
        && (RevokedAt is not { } revokedAt || at < revokedAt);

    /// <summary>Returns this consent revoked at <paramref name="revokedAt"/>. Revocation never reaches back before it is made.</summary>
    /// <param name="revokedAt">When the revocation takes effect.</param>
    /// <returns>A copy with <see cref="RevokedAt"/> set.</returns>
    /// <exception cref="InvalidOperationException">The consent is already revoked.</exception>
    public Consent Revoke(DateTimeOffset revokedAt)
    {
        if (RevokedAt is { } earlier)
        {
            throw new InvalidOperationException(
                $"Consent '{Id}' was already revoked at {earlier:O}; a revocation cannot be moved or repeated.");
        }

        return new Consent(Id, PatientId, Kind, _recipients, _purposes, _categories, From, Until, revokedAt);
    }

    /// <summary>Whether the consent names <paramref name="recipient"/> (or any recipient), the purpose and the category.</summary>
    internal bool Covers(string? recipient, PurposeOfUse purpose, DataCategory category)
    {
        bool recipientMatches = false;
        foreach (string named in _recipients)
        {
            if (named == AnyRecipient || (recipient is not null && string.Equals(named, recipient, StringComparison.Ordinal)))
            {
                recipientMatches = true;
                break;
            }
        }

        if (!recipientMatches || Array.IndexOf(_purposes, purpose) < 0)
        {
            return false;
        }

        foreach (DataCategory named in _categories)
        {
            if (named == category || named == DataCategory.All)
            {
                return true;
            }
        }

        return false;
    }
}
