namespace Hipaa.Cli.Inventory;

/// <summary>One entity type of the application's model that holds PHI (<c>[Phi]</c>) or encrypted values.</summary>
/// <param name="Name">The CLR type's name (the entity name audit records use).</param>
/// <param name="ClrType">The CLR type's full name.</param>
/// <param name="Table">The table it is mapped to (schema-qualified when the model names a schema).</param>
/// <param name="Category">The data category of <c>[Phi]</c>, or null when the entity is encrypted but not marked PHI.</param>
/// <param name="Labels">The sensitivity labels of <c>[Phi]</c>.</param>
/// <param name="PatientId">The property naming the patient (per-patient audit records and keys), or null.</param>
/// <param name="OwnedBy">For an owned type, the PHI entity that owns it (audited as part of it); null otherwise.</param>
/// <param name="AuditedReads">Whether reads of it are audited (a PHI entity of a context with auditing).</param>
/// <param name="AuditedWrites">Whether writes of it are audited.</param>
/// <param name="Properties">Its mapped properties, in model order.</param>
internal sealed record EntityInventory(
    string Name,
    string ClrType,
    string Table,
    string? Category,
    IReadOnlyList<string> Labels,
    string? PatientId,
    string? OwnedBy,
    bool AuditedReads,
    bool AuditedWrites,
    IReadOnlyList<PropertyInventory> Properties)
{
    /// <summary>Finds a property by its CLR name.</summary>
    public PropertyInventory? Find(string name) => Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal));
}
