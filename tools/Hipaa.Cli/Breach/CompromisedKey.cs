namespace Hipaa.Cli.Breach;

/// <summary>A key of the key table that the assessment treats as compromised (the key given, or a key an intermediate key given wraps).</summary>
/// <param name="Id">The key's id.</param>
/// <param name="Kind">Intermediate, Data or Index.</param>
/// <param name="Scope">The key-table scope (<c>patient:…</c>, <c>column:…</c>, <c>app</c>, <c>index:…</c>, <c>root</c>).</param>
/// <param name="Version">The key's version in its scope.</param>
/// <param name="State">Active, Retired or Destroyed.</param>
/// <param name="DestroyedAt">When it was shredded, if it was.</param>
internal sealed record CompromisedKey(Guid Id, string Kind, string Scope, int Version, string State, DateTimeOffset? DestroyedAt);
