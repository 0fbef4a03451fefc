using Hipaa.EfCore.Encryption;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Microsoft.EntityFrameworkCore;

/// <summary>The fluent twins of <see cref="Hipaa.Encryption.EncryptedAttribute"/> and <see cref="Hipaa.PatientIdAttribute"/>, for entities you cannot annotate.</summary>
public static class EncryptionPropertyBuilderExtensions
{
    /// <summary>Stores the property encrypted, exactly as <see cref="Hipaa.Encryption.EncryptedAttribute"/> does.</summary>
    /// <param name="propertyBuilder">The property.</param>
    /// <param name="searchable">Whether equality search through a blind index is supported (reveals which rows share a value).</param>
    /// <returns>The same builder.</returns>
    public static PropertyBuilder IsEncrypted(this PropertyBuilder propertyBuilder, bool searchable = false)
    {
        ArgumentNullException.ThrowIfNull(propertyBuilder);
        propertyBuilder.HasAnnotation(EncryptionAnnotations.Encrypted, searchable ? "searchable" : "randomized");
        return propertyBuilder;
    }

    /// <inheritdoc cref="IsEncrypted(PropertyBuilder, bool)"/>
    public static PropertyBuilder<TProperty> IsEncrypted<TProperty>(this PropertyBuilder<TProperty> propertyBuilder, bool searchable = false) =>
        (PropertyBuilder<TProperty>)IsEncrypted((PropertyBuilder)propertyBuilder, searchable);

    /// <summary>Marks the property that holds the patient id, exactly as <see cref="Hipaa.PatientIdAttribute"/> does.</summary>
    /// <param name="propertyBuilder">The property.</param>
    /// <returns>The same builder.</returns>
    public static PropertyBuilder IsPatientId(this PropertyBuilder propertyBuilder)
    {
        ArgumentNullException.ThrowIfNull(propertyBuilder);
        propertyBuilder.HasAnnotation(EncryptionAnnotations.PatientId, true);
        return propertyBuilder;
    }

    /// <inheritdoc cref="IsPatientId(PropertyBuilder)"/>
    public static PropertyBuilder<TProperty> IsPatientId<TProperty>(this PropertyBuilder<TProperty> propertyBuilder) =>
        (PropertyBuilder<TProperty>)IsPatientId((PropertyBuilder)propertyBuilder);
}
