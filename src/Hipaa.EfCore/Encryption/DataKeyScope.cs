using Hipaa.Encryption;

namespace Hipaa.EfCore.Encryption;

/// <summary>Names the data keys an operation of <see cref="FieldEncryptionKeyManager"/> applies to.</summary>
public readonly record struct DataKeyScope
{
    private DataKeyScope(string name) => Name = name;

    /// <summary>Gets the application-wide data key (<see cref="KeyScope.Application"/>).</summary>
    public static DataKeyScope Application { get; } = new(KeyScopes.Application);

    /// <summary>Gets the scope's name as stored in the key table.</summary>
    public string Name { get; }

    /// <summary>The data key of one table and column (<see cref="KeyScope.Column"/>, and entities without a patient id).</summary>
    /// <param name="table">The table name.</param>
    /// <param name="column">The column name.</param>
    /// <returns>The scope.</returns>
    public static DataKeyScope ForColumn(string table, string column)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        return new(KeyScopes.Column(table, column));
    }

    /// <summary>The data key of one patient (<see cref="KeyScope.Patient"/>).</summary>
    /// <param name="patientId">The patient id, as stored in the entity's <see cref="Hipaa.PatientIdAttribute"/> property.</param>
    /// <returns>The scope.</returns>
    public static DataKeyScope ForPatient(string patientId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        return new(KeyScopes.Patient(patientId));
    }

    /// <inheritdoc/>
    public override string ToString() => Name ?? string.Empty;
}
