namespace Hipaa.Cli.Breach;

/// <summary>One PHI field of one patient that the compromise reached, and why it is or is not secured.</summary>
/// <param name="Entity">The entity (as the audit trail names it).</param>
/// <param name="Field">The field (CLR property name).</param>
/// <param name="Category">The entity's data category.</param>
/// <param name="Encrypted">Whether the SDK stores the field encrypted; null when the tool does not know (no model given, or the entity is not in it).</param>
/// <param name="KeyScope">The key-table scope the field is encrypted under for this patient, when encrypted.</param>
/// <param name="Protection">Unsecured, safe harbor, or written by the account.</param>
/// <param name="Reason">One sentence that says why.</param>
internal sealed record FieldExposure(string Entity, string Field, string Category, bool? Encrypted, string? KeyScope, FieldProtection Protection, string Reason);
