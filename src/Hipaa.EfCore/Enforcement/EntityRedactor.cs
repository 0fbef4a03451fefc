using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Encryption;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore.Enforcement;

/// <summary>
/// Resets the properties of a materialized entity that the actor may not see (all of them for a denied row, those outside
/// the field mask for a permitted one) — keys, the patient id and foreign keys excepted, so the application still works.
/// </summary>
internal static class EntityRedactor
{
    /// <summary>Redacts and returns the names of the fields withheld.</summary>
    public static List<string> Redact(object entity, PhiEntityModel model, FieldMask? visible)
    {
        var withheld = new List<string>();
        foreach (var property in Redactable(model.EntityType))
        {
            if (visible is not null && visible.IsVisible(property.Name))
            {
                continue;
            }

            property.SetValue(entity, Defaults.GetOrAdd(property, DefaultOf));
            withheld.Add(property.Name);
        }

        return withheld;
    }

    private static IEnumerable<System.Reflection.PropertyInfo> Redactable(IEntityType entityType)
    {
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in entityType.GetProperties())
        {
            if (property.IsKey() || property.IsForeignKey() || PatientIdProperty.Find(entityType) == property)
            {
                kept.Add(property.Name);
            }
        }

        foreach (var member in entityType.ClrType.GetProperties(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public))
        {
            if (!member.CanWrite || kept.Contains(member.Name) || member.GetIndexParameters().Length > 0)
            {
                continue;
            }

            var mapped = entityType.FindProperty(member.Name) is not null
                || entityType.FindProperty(EncryptionAnnotations.CiphertextPrefix + member.Name) is not null;
            if (mapped)
            {
                yield return member;
            }
        }
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<System.Reflection.PropertyInfo, object?> Defaults = new();

    /// <summary>null where the property allows it; "" for a non-nullable string; the type's default otherwise.</summary>
    private static object? DefaultOf(System.Reflection.PropertyInfo property)
    {
        var type = property.PropertyType;
        if (type.IsValueType)
        {
            return Activator.CreateInstance(type);
        }

        var nullable = new System.Reflection.NullabilityInfoContext().Create(property).WriteState != System.Reflection.NullabilityState.NotNull;
        return type == typeof(string) && !nullable ? string.Empty : null;
    }
}
