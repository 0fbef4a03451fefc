using System.Reflection;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// Turns each property marked <see cref="EncryptedAttribute"/> (or configured with <c>IsEncrypted()</c>) into a shadow
/// <c>byte[]</c> property on the same column, holding the ciphertext; the CLR property itself is no longer mapped and is
/// filled in by <see cref="FieldDecryption"/>. A searchable property also gets a blind-index shadow
/// property, typed like the CLR property, whose converter turns a query parameter into its HMAC.
/// </summary>
internal sealed class FieldEncryptionConvention(FieldEncryptionRuntime runtime) : IModelFinalizingConvention
{
    public void ProcessModelFinalizing(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context)
    {
        foreach (var entityType in modelBuilder.Metadata.GetEntityTypes().ToList())
        {
            RefuseUnsupportedEncryptedProperties(entityType);
            if (entityType.ClrType is not { } clrType || entityType.IsOwned() || entityType.HasSharedClrType)
            {
                continue;
            }

            var encrypted = new List<(IConventionProperty Property, bool Searchable)>();
            foreach (var property in entityType.GetDeclaredProperties())
            {
                if (IsEncrypted(property, out var searchable))
                {
                    encrypted.Add((property, searchable));
                }
            }

            if (encrypted.Count == 0)
            {
                continue;
            }

            var members = new List<string>();
            foreach (var (property, searchable) in encrypted)
            {
                members.Add(Rewrite((IMutableEntityType)entityType, (IMutableProperty)property, searchable));
            }

            entityType.SetAnnotation(EncryptionAnnotations.EncryptedMembers, string.Join(';', members));
        }
    }

    /// <summary>
    /// Owned and complex types are not encrypted (their properties are not rewritten into ciphertext columns): an
    /// encrypted property there would be stored as plaintext, so the model is refused instead.
    /// </summary>
    private static void RefuseUnsupportedEncryptedProperties(IConventionEntityType entityType)
    {
        if (entityType.IsOwned())
        {
            foreach (var property in entityType.GetDeclaredProperties())
            {
                if (IsEncrypted(property, out _))
                {
                    var ownership = entityType.FindOwnership()!;
                    throw new InvalidOperationException(
                        $"{Path(ownership)}.{property.Name} is marked encrypted, but {ownership.PrincipalToDependent?.Name ?? entityType.DisplayName()} is an owned type, whose properties Hipaa.Sdk does not encrypt: it would be stored as plaintext. Map the value as an entity of its own (with a key) or move the property onto {ownership.PrincipalEntityType.DisplayName()}.");
                }
            }
        }

        foreach (var complex in entityType.GetDeclaredComplexProperties())
        {
            RefuseEncryptedComplexProperties(complex, entityType.DisplayName() + "." + complex.Name);
        }
    }

    private static void RefuseEncryptedComplexProperties(IConventionComplexProperty complex, string path)
    {
        foreach (var property in complex.ComplexType.GetDeclaredProperties())
        {
            if (IsEncrypted(property, out _))
            {
                throw new InvalidOperationException(
                    $"{path}.{property.Name} is marked encrypted, but {complex.Name} is a complex type, whose properties Hipaa.Sdk does not encrypt: it would be stored as plaintext. Map the value as an entity of its own (with a key) or move the property onto the entity.");
            }
        }

        foreach (var nested in complex.ComplexType.GetDeclaredComplexProperties())
        {
            RefuseEncryptedComplexProperties(nested, path + "." + nested.Name);
        }
    }

    /// <summary>The owner path of an owned type, <c>Patient.Home</c>.</summary>
    private static string Path(IConventionForeignKey ownership)
    {
        var principal = ownership.PrincipalEntityType;
        var prefix = principal.FindOwnership() is { } outer ? Path(outer) : principal.DisplayName();
        return prefix + "." + ownership.PrincipalToDependent?.Name;
    }

    private static bool IsEncrypted(IConventionProperty property, out bool searchable)
    {
        searchable = false;
        if (property.FindAnnotation(EncryptionAnnotations.Encrypted)?.Value is string configured)
        {
            searchable = configured == "searchable";
            return true;
        }

        if (property.PropertyInfo?.GetCustomAttribute<EncryptedAttribute>(inherit: true) is { } attribute)
        {
            searchable = attribute.Searchable;
            return true;
        }

        return false;
    }

    private string Rewrite(IMutableEntityType entityType, IMutableProperty property, bool searchable)
    {
        var name = property.Name;
        var entity = entityType.DisplayName();
        if (property.PropertyInfo is null)
        {
            throw new InvalidOperationException($"{entity}.{name} is marked encrypted but is not a CLR property; only CLR properties can be encrypted.");
        }

        if (!FieldValueCodec.IsSupported(property.ClrType))
        {
            throw new InvalidOperationException(
                $"{entity}.{name} is marked encrypted but its type '{property.ClrType}' is not supported. Supported: string, byte[], bool, numbers, decimal, char, Guid, enums, DateTime, DateTimeOffset, DateOnly, TimeOnly, TimeSpan and their nullable forms.");
        }

        if (property.IsKey() || property.IsForeignKey() || property.IsIndex())
        {
            throw new InvalidOperationException(
                $"{entity}.{name} is marked encrypted but is part of a key, foreign key or index. Ciphertext is randomized, so it cannot be one; use [Encrypted(Searchable = true)] for equality lookups instead.");
        }

        var column = property.GetColumnName();
        var isNullable = property.IsNullable;
        var clrType = property.ClrType;
        entityType.RemoveProperty(property);
        entityType.AddIgnored(name);

        var ciphertext = entityType.AddProperty(EncryptionAnnotations.CiphertextPrefix + name, typeof(byte[]));
        ciphertext.SetColumnName(column);
        ciphertext.IsNullable = isNullable;
        ciphertext.SetAnnotation(EncryptionAnnotations.EncryptedMember, name);

        if (searchable)
        {
            var indexType = clrType.IsValueType && Nullable.GetUnderlyingType(clrType) is null ? typeof(Nullable<>).MakeGenericType(clrType) : clrType;
            var index = entityType.AddProperty(EncryptionAnnotations.BlindIndexPrefix + name, indexType);
            index.SetColumnName(column + EncryptionAnnotations.BlindIndexColumnSuffix);
            index.IsNullable = true;
            index.SetValueConverter(BlindIndexValueConverter.Create(indexType, runtime, entityType, name));
            index.SetAnnotation(EncryptionAnnotations.BlindIndexOf, name);
            entityType.AddIndex(index);
        }

        return searchable ? name + "|searchable" : name + "|";
    }
}
