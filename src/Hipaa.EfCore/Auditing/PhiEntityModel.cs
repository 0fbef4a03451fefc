using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore.Auditing;

/// <summary>What auditing needs to know about an entity type marked <see cref="PhiAttribute"/>.</summary>
internal sealed class PhiEntityModel
{
    private PhiEntityModel(IEntityType entityType, PhiAttribute phi)
    {
        EntityType = entityType;
        Category = phi.Category;
        Labels = phi.Labels;
        Name = entityType.ClrType.Name;
        Table = entityType.GetTableName() ?? Name;
        Schema = entityType.GetSchema();
        PatientId = PatientIdProperty.Find(entityType);
        KeyProperties = entityType.FindPrimaryKey()?.Properties ?? [];
        Fields = [.. entityType.GetProperties()
            .Where(p => !p.Name.StartsWith(Encryption.EncryptionAnnotations.BlindIndexPrefix, StringComparison.Ordinal))
            .Select(p => MemberName(p.Name))];
        FieldList = string.Join(AuditEntry.ListSeparator, Fields);
        LabelList = string.Join(AuditEntry.ListSeparator, Labels);
    }

    public IEntityType EntityType { get; }

    public string Category { get; }

    public IReadOnlyList<string> Labels { get; }

    public string Name { get; }

    public string Table { get; }

    /// <summary>Gets the schema of <see cref="Table"/>, or <see langword="null"/> for the database's default schema.</summary>
    public string? Schema { get; }

    public IProperty? PatientId { get; }

    public IReadOnlyList<IProperty> KeyProperties { get; }

    /// <summary>The names of the fields a read of this entity discloses (CLR names; encrypted ones included).</summary>
    public string[] Fields { get; }

    /// <summary>Gets <see cref="Fields"/> as stored in an audit record.</summary>
    public string FieldList { get; }

    /// <summary>Gets <see cref="Labels"/> as stored in an audit record.</summary>
    public string LabelList { get; }

    /// <summary>
    /// The audit trail's own tables (<c>hipaa_audit</c>, its checkpoints) as raw SQL sees them: reading the trail is an
    /// access to the audit log (category <c>AuditLog</c>), recorded like a read of PHI, and a statement that changes it
    /// is recorded as the write it is. Not used for the SDK's own access, which goes through its own audit context.
    /// </summary>
    public static PhiEntityModel ForAuditTable(IEntityType entityType) => new(entityType, new PhiAttribute(Hipaa.Policy.DataCategory.AuditLog.Name));

    public static PhiEntityModel? Create(IEntityType entityType) =>
        entityType.ClrType.GetCustomAttribute<PhiAttribute>(inherit: true) is { } phi ? new PhiEntityModel(entityType, phi) : null;

    /// <summary>The CLR name of a property, mapping the shadow ciphertext property of an encrypted member back to the member.</summary>
    public static string MemberName(string propertyName) =>
        propertyName.StartsWith(Encryption.EncryptionAnnotations.CiphertextPrefix, StringComparison.Ordinal)
            ? propertyName[Encryption.EncryptionAnnotations.CiphertextPrefix.Length..]
            : propertyName;
}
