namespace Hipaa.Policy;

/// <summary>A court order presented with a request for disclosure in a legal proceeding.</summary>
/// <remarks>Immutable and safe to share between threads.</remarks>
public sealed class CourtOrder
{
    private readonly SensitivityLabel[] _covers;

    /// <summary>Creates a court order.</summary>
    /// <param name="kind">The law the order meets.</param>
    /// <param name="covers">The sensitivity labels of the records it authorizes, for example <c>SUD</c> for a 42 CFR 2.64 order.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined <see cref="CourtOrderKind"/>.</exception>
    /// <exception cref="ArgumentException">A label is empty.</exception>
    public CourtOrder(CourtOrderKind kind, IEnumerable<SensitivityLabel>? covers = null)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "The court order kind is not one of the defined CourtOrderKind values.");
        }

        _covers = covers is null ? [] : [.. covers];
        foreach (SensitivityLabel label in _covers)
        {
            if (label.IsEmpty)
            {
                throw new ArgumentException("A court order's covered labels must not be empty.", nameof(covers));
            }
        }

        Kind = kind;
    }

    /// <summary>The law the order meets.</summary>
    public CourtOrderKind Kind { get; }

    /// <summary>The sensitivity labels of the records the order authorizes.</summary>
    public IReadOnlyList<SensitivityLabel> Covers => _covers;

    /// <summary>Whether the order covers records carrying <paramref name="label"/>.</summary>
    internal bool CoversLabel(SensitivityLabel label) => Array.IndexOf(_covers, label) >= 0;
}
