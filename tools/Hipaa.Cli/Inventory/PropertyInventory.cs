namespace Hipaa.Cli.Inventory;

/// <summary>One mapped property of a PHI (or encrypted) entity, as an auditor reads it.</summary>
/// <param name="Name">The CLR property name (the name audit records use).</param>
/// <param name="Column">The column it is stored in.</param>
/// <param name="Type">The CLR type's short name.</param>
/// <param name="Encrypted">Whether the SDK stores it encrypted (<c>[Encrypted]</c> or <c>IsEncrypted()</c>).</param>
/// <param name="Searchable">Whether it has a blind index (equality search over ciphertext).</param>
/// <param name="KeyScope">The data-key scope its values are encrypted under (<c>patient</c>, <c>column:T.C</c>, <c>app</c>); null when plaintext.</param>
/// <param name="Role">What the SDK uses it for: <c>key</c>, <c>patient-id</c>, <c>author-id</c>; null for an ordinary value.</param>
/// <param name="ColumnScope">For an encrypted property, the key-table scope of its column key (<c>column:table.column</c>), which
/// also names its blind-index key (<c>index:table.column</c>); null when plaintext.</param>
internal sealed record PropertyInventory(string Name, string Column, string Type, bool Encrypted, bool Searchable, string? KeyScope, string? Role, string? ColumnScope = null);
