namespace Hipaa.Policy;

/// <summary>
/// The fields of a record an actor may see (minimum necessary, 45 CFR 164.502(b) and 164.514(d)). A permit that carries
/// a mask also carries <see cref="Obligation.MaskFields"/>; every PHI field not named here must be withheld.
/// </summary>
/// <remarks>Field names compare ignoring case. Keys and the patient id are outside the mask's scope. Immutable.</remarks>
public sealed class FieldMask
{
    private readonly HashSet<string> _visible;

    private FieldMask(HashSet<string> visible) => _visible = visible;

    /// <summary>The fields that may be shown.</summary>
    public IReadOnlyCollection<string> VisibleFields => _visible;

    /// <summary>Creates a mask that shows only <paramref name="visibleFields"/>.</summary>
    /// <param name="visibleFields">Names of the fields that may be shown; at least one.</param>
    /// <returns>The mask.</returns>
    /// <exception cref="ArgumentException">No field is given, or a field name is empty.</exception>
    public static FieldMask Only(params IEnumerable<string> visibleFields)
    {
        ArgumentNullException.ThrowIfNull(visibleFields);
        var visible = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string field in visibleFields)
        {
            if (string.IsNullOrWhiteSpace(field))
            {
                throw new ArgumentException("A field name in a field mask must not be null, empty or white space.", nameof(visibleFields));
            }

            visible.Add(field);
        }

        if (visible.Count == 0)
        {
            throw new ArgumentException("A field mask must name at least one visible field; to show nothing, do not grant the access.", nameof(visibleFields));
        }

        return new FieldMask(visible);
    }

    /// <summary>Whether <paramref name="field"/> may be shown.</summary>
    /// <param name="field">The field (property) name.</param>
    /// <returns><see langword="true"/> when the mask names the field.</returns>
    public bool IsVisible(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return _visible.Contains(field);
    }

    /// <summary>The mask that shows what either mask shows.</summary>
    internal FieldMask Union(FieldMask other)
    {
        if (ReferenceEquals(this, other) || other._visible.IsSubsetOf(_visible))
        {
            return this;
        }

        var visible = new HashSet<string>(_visible, StringComparer.OrdinalIgnoreCase);
        visible.UnionWith(other._visible);
        return new FieldMask(visible);
    }

    /// <summary>The visible fields, comma-separated, in ordinal order.</summary>
    public override string ToString() => string.Join(", ", _visible.Order(StringComparer.OrdinalIgnoreCase));
}
