using System.Globalization;
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
        Table = entityType.GetTableName() ?? entityType.GetRootType().DisplayName();
        DisplayName = entityType.ClrType.Name;
        KeyProperties = entityType.FindPrimaryKey()?.Properties
            ?? throw new InvalidOperationException($"{DisplayName} has encrypted properties but no primary key; each ciphertext is bound to its row, so keyless entities cannot be encrypted.");
        PatientId = PatientIdProperty.Find(entityType);
    }

    public IEntityType EntityType { get; }

    public IReadOnlyList<EncryptedPropertyModel> Properties { get; }

    public string Table { get; }

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
                properties.Add(new EncryptedPropertyModel(member, ciphertext, blindIndex, ciphertext.GetColumnName()));
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

    /// <summary>The canonical text of a row's primary key: invariant-culture values joined by U+001F.</summary>
    public static string FormatRow(ReadOnlySpan<object?> keyValues)
    {
        if (keyValues.Length == 1)
        {
            return FormatValue(keyValues[0]);
        }

        var parts = new string[keyValues.Length];
        for (var i = 0; i < keyValues.Length; i++)
        {
            parts[i] = FormatValue(keyValues[i]);
        }

        return string.Join('\u001f', parts);
    }

    public static string FormatValue(object? value) => value switch
    {
        null => string.Empty,
        string text => text,
        Guid guid => guid.ToString("D"),
        DateTime dateTime => dateTime.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset dateTimeOffset => dateTimeOffset.ToString("O", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
