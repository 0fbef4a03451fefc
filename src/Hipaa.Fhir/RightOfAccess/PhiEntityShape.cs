using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using Hipaa.Policy;

namespace Hipaa.Fhir;

/// <summary>
/// What an entity type's attributes say about its records — category and labels (<see cref="PhiAttribute"/>), the patient
/// id property (<see cref="PatientIdAttribute"/>), the author property (<see cref="AuthorIdAttribute"/>) — read once per
/// CLR type, as EF Core's model convention reads them (attributes inherited, so a lazy-loading proxy has its entity's).
/// </summary>
internal sealed class PhiEntityShape
{
    private static readonly ConcurrentDictionary<Type, PhiEntityShape> Shapes = new();

    private readonly Type _type;
    private readonly PropertyInfo? _patientId;
    private readonly PropertyInfo? _authorId;

    private PhiEntityShape(Type type, PhiAttribute? phi, PropertyInfo? patientId, PropertyInfo? authorId)
    {
        _type = type;
        Phi = phi;
        Category = phi is null ? default : new DataCategory(phi.Category);
        Labels = phi is null ? [] : [.. phi.Labels.Select(code => new SensitivityLabel(code))];
        _patientId = patientId;
        _authorId = authorId;
    }

    public PhiAttribute? Phi { get; }

    public DataCategory Category { get; }

    public IReadOnlyList<SensitivityLabel> Labels { get; }

    public static PhiEntityShape Of(Type type) => Shapes.GetOrAdd(type, static t => new PhiEntityShape(
        t,
        t.GetCustomAttribute<PhiAttribute>(inherit: true),
        Marked<PatientIdAttribute>(t),
        Marked<AuthorIdAttribute>(t)));

    /// <summary>The patient id as the SDK writes it everywhere (a <see cref="Guid"/> in <c>D</c> format, numbers invariant).</summary>
    public string PatientIdOf(object entity)
    {
        if (Phi is null)
        {
            throw new ArgumentException(
                $"{_type.Name} is not marked [Phi(\"Category\")], so it is not a PHI record the export can decide; mark the entity type, as EF Core enforcement requires.",
                nameof(entity));
        }

        if (_patientId is null)
        {
            throw new ArgumentException(
                $"{_type.Name} has no property marked [PatientId]; mark the property that holds the patient id (a patient id configured only with the fluent IsPatientId() is not visible outside EF Core).",
                nameof(entity));
        }

        string patientId = Text(_patientId.GetValue(entity));
        if (string.IsNullOrWhiteSpace(patientId))
        {
            throw new ArgumentException($"The [PatientId] property of a {_type.Name} is empty: the record belongs to no patient and cannot be exported.", nameof(entity));
        }

        return patientId;
    }

    public string? AuthorIdOf(object entity) =>
        _authorId?.GetValue(entity) is { } author && Text(author) is { Length: > 0 } text ? text : null;

    private static PropertyInfo? Marked<TAttribute>(Type type)
        where TAttribute : Attribute =>
        type.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .FirstOrDefault(p => p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<TAttribute>(inherit: true) is not null);

    private static string Text(object? value) => value switch
    {
        null => string.Empty,
        string text => text,
        Guid guid => guid.ToString("D"),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
