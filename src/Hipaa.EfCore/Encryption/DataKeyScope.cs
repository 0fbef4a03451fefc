using System.Globalization;
using Hipaa.Encryption;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// Names the data keys an operation of <see cref="FieldEncryptionKeyManager"/> applies to. Ids are validated and
/// normalized per kind, so a scope names the keys the application's writes used (docs/encryption.md, "Scope ids").
/// </summary>
public readonly record struct DataKeyScope
{
    private DataKeyScope(string name, string? spelledAs = null)
    {
        Name = name;
        SpelledAs = spelledAs;
    }

    /// <summary>Gets the application-wide data key (<see cref="KeyScope.Application"/>).</summary>
    public static DataKeyScope Application { get; } = new(KeyScopes.Application);

    /// <summary>Gets the scope's name as stored in the key table.</summary>
    public string Name { get; }

    /// <summary>
    /// The scope as the caller spelled it, when that differs from <see cref="Name"/>: earlier versions of the SDK stored a string
    /// <c>[PatientId]</c> holding a Guid in another spelling under that spelling, so a shred covers both.
    /// </summary>
    internal string? SpelledAs { get; }

    /// <summary>The data key of one table and column (<see cref="KeyScope.Column"/>, and entities without a patient id).</summary>
    /// <param name="table">The table name, exactly as mapped (case-sensitive).</param>
    /// <param name="column">The column name, exactly as mapped (case-sensitive).</param>
    /// <returns>The scope.</returns>
    /// <exception cref="ArgumentException">A name is empty, starts or ends with white space, or contains a control character.</exception>
    public static DataKeyScope ForColumn(string table, string column)
    {
        ValidateName(table, nameof(table));
        ValidateName(column, nameof(column));
        return new(KeyScopes.Column(table, column));
    }

    /// <summary>
    /// The data key of one patient (<see cref="KeyScope.Patient"/>), given as text. A <see cref="Guid"/> in any spelling
    /// (upper case, without hyphens, in braces) is normalized to the form the SDK stores; any other id is used as it is.
    /// </summary>
    /// <param name="patientId">The value of the entity's <see cref="Hipaa.PatientIdAttribute"/> property.</param>
    /// <returns>The scope.</returns>
    /// <exception cref="ArgumentException">
    /// The id is empty, longer than 256 characters, starts or ends with white space, or contains a control character.
    /// </exception>
    public static DataKeyScope ForPatient(string patientId)
    {
        ArgumentNullException.ThrowIfNull(patientId);
        if (KeyScopes.ProblemWithPatientId(patientId) is { } problem)
        {
            throw new ArgumentException(problem, nameof(patientId));
        }

        var name = KeyScopes.Patient(patientId);
        var spelled = KeyScopes.PatientPrefix + patientId;
        return new(name, string.Equals(name, spelled, StringComparison.Ordinal) ? null : spelled);
    }

    /// <summary>The data key of one patient whose <see cref="Hipaa.PatientIdAttribute"/> property is a <see cref="Guid"/>.</summary>
    /// <param name="patientId">The patient id.</param>
    /// <returns>The scope.</returns>
    public static DataKeyScope ForPatient(Guid patientId) => new(KeyScopes.Patient(patientId.ToString("D")));

    /// <summary>The data key of one patient whose <see cref="Hipaa.PatientIdAttribute"/> property is an integer.</summary>
    /// <param name="patientId">The patient id.</param>
    /// <returns>The scope.</returns>
    public static DataKeyScope ForPatient(long patientId) => new(KeyScopes.Patient(patientId.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Whether both name the same data keys.</summary>
    /// <param name="other">The other scope.</param>
    /// <returns><see langword="true"/> when <see cref="Name"/> is the same.</returns>
    public bool Equals(DataKeyScope other) => string.Equals(Name, other.Name, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override int GetHashCode() => Name is null ? 0 : StringComparer.Ordinal.GetHashCode(Name);

    /// <inheritdoc/>
    public override string ToString() => Name ?? string.Empty;

    private static void ValidateName(string name, string parameter)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name, parameter);
        if (char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]) || name.Any(char.IsControl))
        {
            throw new ArgumentException($"The {parameter} name starts or ends with white space or contains a control character; pass the name exactly as the model maps it.", parameter);
        }
    }
}
