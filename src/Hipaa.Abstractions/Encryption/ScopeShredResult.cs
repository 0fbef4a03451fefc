namespace Hipaa.Encryption;

/// <summary>What crypto-shredding one scope found and did.</summary>
/// <param name="KeysFound">Data keys of the scope in the key table, in any state (0: the scope never had a key).</param>
/// <param name="KeysDestroyed">Data keys this call destroyed (0 when every key was already destroyed).</param>
/// <param name="KeyIds">The ids of every data key of the scope (all destroyed now), including those destroyed before.</param>
internal readonly record struct ScopeShredResult(int KeysFound, int KeysDestroyed, IReadOnlyList<Guid> KeyIds);
