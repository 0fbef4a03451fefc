using Hipaa.Auditing;

namespace Hipaa.Cli.Breach;

/// <summary>Collects one patient's accesses while the trail is read; <see cref="Build"/> gives the <see cref="PatientExposure"/>.</summary>
internal sealed class PatientBuilder(string patientId)
{
    private readonly SortedSet<string> _categories = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Entity, string Field), FieldExposure> _fields = [];
    private int _reads;
    private int _writes;
    private DateTimeOffset? _first;
    private DateTimeOffset? _last;

    public int Denied { get; set; }

    public void Touch(AuditRecord record, bool read)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (read)
        {
            _reads++;
        }
        else
        {
            _writes++;
        }

        foreach (string category in record.Categories)
        {
            _categories.Add(category);
        }

        _first = _first is null || record.OccurredAt < _first ? record.OccurredAt : _first;
        _last = _last is null || record.OccurredAt > _last ? record.OccurredAt : _last;
    }

    /// <summary>Adds a field; a field seen several times keeps its worst protection (unsecured before written before safe harbor).</summary>
    public void Add(FieldExposure exposure)
    {
        ArgumentNullException.ThrowIfNull(exposure);
        var key = (exposure.Entity, exposure.Field);
        if (!_fields.TryGetValue(key, out FieldExposure? existing) || Rank(exposure.Protection) < Rank(existing.Protection))
        {
            _fields[key] = exposure;
        }
    }

    /// <summary>The exposure; its categories are those of the fields it lists (of every access counted when it lists none).</summary>
    public PatientExposure Build() => new(
        patientId,
        _fields.Count > 0 ? [.. _fields.Values.Select(f => f.Category).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)] : [.. _categories],
        _reads,
        _writes,
        Denied,
        _first,
        _last,
        [.. _fields.Values
            .OrderBy(f => Rank(f.Protection))
            .ThenBy(f => f.Entity, StringComparer.Ordinal)
            .ThenBy(f => f.Field, StringComparer.Ordinal)]);

    private static int Rank(FieldProtection protection) => protection switch
    {
        FieldProtection.Unsecured => 0,
        FieldProtection.Written => 1,
        _ => 2,
    };
}
