using System.Reflection;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore.Encryption;

/// <summary>What field encryption needs to know about one entity type: its encrypted properties, table, key and patient id.</summary>
internal sealed class EncryptedEntityModel
{
    private EncryptedEntityModel(IEntityType entityType, IReadOnlyList<EncryptedPropertyModel> properties)
    {
        EntityType = entityType;
        Properties = properties;
        Table = TableOf(entityType);
        Schema = entityType.GetSchema() ?? string.Empty;
        DisplayName = entityType.ClrType.Name;
        KeyProperties = entityType.FindPrimaryKey()?.Properties
            ?? throw new InvalidOperationException($"{DisplayName} has encrypted properties but no primary key; each ciphertext is bound to its row, so keyless entities cannot be encrypted.");
        PatientId = PatientIdProperty.Find(entityType);
    }

    public IEntityType EntityType { get; }

    public IReadOnlyList<EncryptedPropertyModel> Properties { get; }

    public string Table { get; }

    /// <summary>
    /// The table's schema as EF Core maps it (<c>ToTable(name, schema)</c> or <c>HasDefaultSchema</c>), empty when the
    /// model names none. Bound into every format version 2 ciphertext; SQLite ignores schemas in SQL, so there it is
    /// only what the model says.
    /// </summary>
    public string Schema { get; }

    public string DisplayName { get; }

    public IReadOnlyList<IProperty> KeyProperties { get; }

    public IProperty? PatientId { get; }

    public static EncryptedEntityModel? Create(IEntityType entityType)
    {
        var properties = new List<EncryptedPropertyModel>();
        for (var type = entityType; type is not null; type = type.BaseType)
        {
            if (type.FindAnnotation(EncryptionAnnotations.EncryptedMembers)?.Value is not string members)
            {
                continue;
            }

            foreach (var entry in members.Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var name = entry[..entry.IndexOf('|', StringComparison.Ordinal)];
                var member = entityType.ClrType.GetProperty(name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                    ?? throw new InvalidOperationException($"{entityType.DisplayName()}.{name} is marked encrypted but the CLR property was not found.");
                var ciphertext = entityType.FindProperty(EncryptionAnnotations.CiphertextPrefix + name)!;
                var blindIndex = entityType.FindProperty(EncryptionAnnotations.BlindIndexPrefix + name);
                var column = ciphertext.GetColumnName();
                properties.Add(new EncryptedPropertyModel(member, ciphertext, blindIndex, column, new FieldColumn(entityType.GetSchema() ?? string.Empty, TableOf(entityType), column)));
            }
        }

        return properties.Count == 0 ? null : new EncryptedEntityModel(entityType, properties);
    }

    public EncryptedPropertyModel? FindProperty(string name)
    {
        foreach (var property in Properties)
        {
            if (property.Name == name)
            {
                return property;
            }
        }

        return null;
    }

    /// <summary>The canonical text of a row's primary key: invariant-culture values joined by U+001F (<see cref="Version1Text"/>).</summary>
    public static string FormatRow(ReadOnlySpan<object?> keyValues) => Version1Text.Row(keyValues);

    /// <summary>The canonical text of a key or patient id value (<see cref="Version1Text"/>).</summary>
    public static string FormatValue(object? value) => Version1Text.Value(value);

    /// <summary>
    /// The row key as a ciphertext binding takes it: the key value itself, or an array of the parts of a composite key.
    /// </summary>
    public static object? RowKey(object?[] keyValues) => keyValues.Length == 1 ? keyValues[0] : keyValues;

    private static string TableOf(IEntityType entityType) => entityType.GetTableName() ?? entityType.GetRootType().DisplayName();
}
