using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore.Auditing;

/// <summary>What auditing needs to know about an entity type marked <see cref="PhiAttribute"/>.</summary>
internal sealed class PhiEntityModel
{
    private PhiEntityModel(IEntityType entityType, PhiAttribute phi)
        : this(entityType, phi, entityType.ClrType.Name, entityType.GetSchema(), entityType.GetTableName() ?? entityType.ClrType.Name, PatientIdProperty.Find(entityType), ownedThrough: null)
    {
    }

    private PhiEntityModel(IEntityType entityType, PhiAttribute phi, string name, string? schema, string table, IProperty? patientId, string? ownedThrough)
    {
        EntityType = entityType;
        Category = phi.Category;
        Labels = phi.Labels;
        Name = name;
        Table = table;
        Schema = schema;
        PatientId = patientId;
        OwnedThrough = ownedThrough;
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

    /// <summary>
    /// Gets, for the table of an owned type of a PHI entity (<see cref="OtherTables"/>), the owner's navigation it is
    /// reached through (its values are that member's, for field masks); <see langword="null"/> otherwise.
    /// </summary>
    public string? OwnedThrough { get; }

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

    /// <summary>
    /// The other tables the PHI entity of <paramref name="model"/> keeps values in, each as a model of that table with the
    /// entity's category, labels and name: the fragments of entity splitting (<c>SplitToTable</c>), with the patient id
    /// where that table has its column, and the tables of its owned types (<c>OwnsMany</c>, <c>OwnsOne(…).ToTable(…)</c>),
    /// nested ones included, without a patient id (their rows are recorded unattributed). Raw SQL naming one of them reads
    /// or writes PHI as much as SQL naming the entity's main table.
    /// </summary>
    public static IEnumerable<PhiEntityModel> OtherTables(PhiEntityModel model)
    {
        var entityType = model.EntityType;
        var phi = new PhiAttribute(model.Category) { Labels = [.. model.Labels] };
        foreach (var fragment in entityType.GetMappingFragments(StoreObjectType.Table))
        {
            var table = fragment.StoreObject;
            if (table.Name != model.Table || table.Schema != model.Schema)
            {
                var patientId = model.PatientId?.GetColumnName(table) is null ? null : model.PatientId;
                yield return new PhiEntityModel(entityType, phi, model.Name, table.Schema, table.Name, patientId, ownedThrough: null);
            }
        }

        foreach (var owned in OwnedTables(entityType, model, through: null))
        {
            yield return new PhiEntityModel(owned.Type, phi, model.Name, owned.Type.GetSchema(), owned.Type.GetTableName()!, patientId: null, owned.Through);
        }
    }

    private static IEnumerable<(IEntityType Type, string Through)> OwnedTables(IEntityType owner, PhiEntityModel model, string? through)
    {
        foreach (var navigation in owner.GetNavigations().Where(n => !n.IsOnDependent && n.ForeignKey.IsOwnership))
        {
            var owned = navigation.TargetEntityType;
            var name = through ?? navigation.Name;
            if (owned.GetTableName() is { } table && !owned.IsMappedToJson() && (table != model.Table || owned.GetSchema() != model.Schema))
            {
                yield return (owned, name);
            }

            foreach (var nested in OwnedTables(owned, model, name))
            {
                yield return nested;
            }
        }
    }

    public static PhiEntityModel? Create(IEntityType entityType) =>
        entityType.ClrType.GetCustomAttribute<PhiAttribute>(inherit: true) is { } phi ? new PhiEntityModel(entityType, phi) : null;

    /// <summary>The CLR name of a property, mapping the shadow ciphertext property of an encrypted member back to the member.</summary>
    public static string MemberName(string propertyName) =>
        propertyName.StartsWith(Encryption.EncryptionAnnotations.CiphertextPrefix, StringComparison.Ordinal)
            ? propertyName[Encryption.EncryptionAnnotations.CiphertextPrefix.Length..]
            : propertyName;
}
