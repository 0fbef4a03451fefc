using Hipaa.Policy;
using Hl7.Fhir.Model;

namespace Hipaa.Fhir;

/// <summary>
/// One record an <see cref="IPatientRecordSource"/> returns for a right-of-access export: an entity the application read
/// through its own <c>DbContext</c> and the mapping of that entity to a FHIR R4 resource. The patient, data category,
/// sensitivity labels and author are taken from the entity's own attributes (<see cref="PhiAttribute"/>,
/// <see cref="PatientIdAttribute"/>, <see cref="AuthorIdAttribute"/>) — the same metadata EF Core enforcement decides by —
/// never declared by the source, so a source cannot mislabel what it returns.
/// </summary>
/// <remarks>
/// The mapping runs only for a record the policy engine permits: a withheld record (a psychotherapy note) is never turned
/// into a resource. Instances are immutable.
/// </remarks>
public sealed class PatientRecord
{
    private readonly Func<Resource> _toFhir;

    private PatientRecord(string patientId, DataCategory category, IReadOnlyList<SensitivityLabel> labels, string? authorId, Func<Resource> toFhir)
    {
        PatientId = patientId;
        Category = category;
        Labels = labels;
        AuthorId = authorId;
        _toFhir = toFhir;
    }

    /// <summary>Gets the patient the record belongs to: the value of the entity's <see cref="PatientIdAttribute"/> property.</summary>
    public string PatientId { get; }

    /// <summary>Gets the record's data category, from the entity type's <see cref="PhiAttribute"/>.</summary>
    public DataCategory Category { get; }

    /// <summary>Gets the record's sensitivity labels, from the entity type's <see cref="PhiAttribute.Labels"/>.</summary>
    public IReadOnlyList<SensitivityLabel> Labels { get; }

    /// <summary>Gets the record's author, the value of the entity's <see cref="AuthorIdAttribute"/> property, if it has one.</summary>
    public string? AuthorId { get; }

    /// <summary>Describes an entity and how to map it to FHIR.</summary>
    /// <typeparam name="TEntity">The entity type, marked <see cref="PhiAttribute"/>.</typeparam>
    /// <param name="entity">The entity, as read through the application's <c>DbContext</c>.</param>
    /// <param name="toFhir">
    /// Maps the entity to a FHIR R4 resource (an <c>Observation</c>, <c>MedicationStatement</c>, <c>Patient</c> …). Called at
    /// most once, and only when the policy engine permits the record. A reference to the patient must name the exported
    /// patient (<c>Patient/&lt;id&gt;</c> or an identifier of <c>urn:hipaa-sdk:patient</c>), or the export fails.
    /// </param>
    /// <returns>The record.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="entity"/> or <paramref name="toFhir"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// The entity's type has no <see cref="PhiAttribute"/>, no property marked <see cref="PatientIdAttribute"/> (a patient id
    /// configured only with EF Core's fluent <c>IsPatientId()</c> is not visible here: add the attribute), or its patient id is
    /// empty.
    /// </exception>
    public static PatientRecord From<TEntity>(TEntity entity, Func<TEntity, Resource> toFhir)
        where TEntity : class
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(toFhir);
        PhiEntityShape shape = PhiEntityShape.Of(entity.GetType());
        string patientId = shape.PatientIdOf(entity);
        return new PatientRecord(patientId, shape.Category, shape.Labels, shape.AuthorIdOf(entity), () => toFhir(entity));
    }

    /// <summary>Runs the mapping; the export calls it for a permitted record only.</summary>
    internal Resource ToFhir() => _toFhir();
}
