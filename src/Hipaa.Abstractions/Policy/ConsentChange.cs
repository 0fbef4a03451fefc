namespace Hipaa.Policy;

/// <summary>One entry of a patient's consent history: a consent as it stood after a change, who changed it and when.</summary>
public sealed class ConsentChange
{
    /// <summary>Creates a history entry.</summary>
    /// <param name="consent">The consent as it stood after the change.</param>
    /// <param name="kind">What happened.</param>
    /// <param name="changedAt">When the change was recorded.</param>
    /// <param name="changedBy">The unique user id of whoever recorded the change.</param>
    /// <exception cref="ArgumentNullException"><paramref name="consent"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="changedBy"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not defined.</exception>
    public ConsentChange(Consent consent, ConsentChangeKind kind, DateTimeOffset changedAt, string changedBy)
    {
        ArgumentNullException.ThrowIfNull(consent);
        ArgumentException.ThrowIfNullOrWhiteSpace(changedBy);
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "The change kind is not one of the defined ConsentChangeKind values.");
        }

        Consent = consent;
        Kind = kind;
        ChangedAt = changedAt;
        ChangedBy = changedBy;
    }

    /// <summary>The consent as it stood after the change.</summary>
    public Consent Consent { get; }

    /// <summary>What happened.</summary>
    public ConsentChangeKind Kind { get; }

    /// <summary>When the change was recorded.</summary>
    public DateTimeOffset ChangedAt { get; }

    /// <summary>Who recorded the change.</summary>
    public string ChangedBy { get; }
}
