using Hipaa.Encryption;

namespace Hipaa.Cli.Inventory;

/// <summary>What one <c>DbContext</c> of an application protects, built from its EF Core model.</summary>
/// <param name="Context">The context's full type name.</param>
/// <param name="Construction">How the tool built it: <c>design-time-factory</c>, <c>options-constructor</c> or <c>parameterless-constructor</c>.</param>
/// <param name="KeyScope">The configured key scope, or the default when the tool could not see the configuration.</param>
/// <param name="KeyScopeConfigured">Whether <see cref="KeyScope"/> is the application's own configuration (else the SDK's default).</param>
/// <param name="Encryption">Whether the context's <c>UseHipaa</c> has field encryption.</param>
/// <param name="Auditing">Whether the context's <c>UseHipaa</c> has query auditing.</param>
/// <param name="Entities">The PHI and encrypted entity types.</param>
/// <param name="UnprotectedEntities">The names of the application's other entity types: neither <c>[Phi]</c> nor encrypted, so not
/// audited, not decided by policy and stored in plaintext — an auditor checks that none holds PHI.</param>
internal sealed record ModelInventory(
    string Context,
    string Construction,
    KeyScope KeyScope,
    bool KeyScopeConfigured,
    bool Encryption,
    bool Auditing,
    IReadOnlyList<EntityInventory> Entities,
    IReadOnlyList<string> UnprotectedEntities);
