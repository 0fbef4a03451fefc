namespace Hipaa.Encryption;

/// <summary>
/// Persists wrapped keys (the EF-backed implementation lives in Hipaa.EfCore). Sync members exist because EF Core
/// materializes entities synchronously; the async ones serve everything else.
/// </summary>
/// <remarks>
/// A key's state only moves forward (active → retired → destroyed) and every change of it is a compare-and-set on
/// <see cref="DataKeyRecord.Revision"/>: a writer that read an older state than the stored one changes nothing.
/// </remarks>
internal interface IDataKeyStore
{
    DataKeyRecord? Find(Guid id);

    Task<DataKeyRecord?> FindAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>The key of a kind in a scope with the highest version, whatever its state, if any.</summary>
    DataKeyRecord? FindLatest(DataKeyKind kind, string scope);

    Task<DataKeyRecord?> FindLatestAsync(DataKeyKind kind, string scope, CancellationToken cancellationToken);

    /// <summary>
    /// For each of <paramref name="scopes"/> that has keys of <paramref name="kind"/>, the one with the highest version,
    /// whatever its state: one round trip for many scopes (the key creation of a SaveChanges with many new patients).
    /// </summary>
    IReadOnlyList<DataKeyRecord> FindLatestMany(DataKeyKind kind, IReadOnlyCollection<string> scopes);

    /// <inheritdoc cref="FindLatestMany"/>
    Task<IReadOnlyList<DataKeyRecord>> FindLatestManyAsync(DataKeyKind kind, IReadOnlyCollection<string> scopes, CancellationToken cancellationToken);

    /// <summary>The key of a kind in a scope with exactly <paramref name="version"/>, if any.</summary>
    DataKeyRecord? FindVersion(DataKeyKind kind, string scope, int version);

    Task<DataKeyRecord?> FindVersionAsync(DataKeyKind kind, string scope, int version, CancellationToken cancellationToken);

    /// <summary>Inserts a new key; false when another writer inserted the same (kind, scope, version) first.</summary>
    bool TryInsert(DataKeyRecord record);

    Task<bool> TryInsertAsync(DataKeyRecord record, CancellationToken cancellationToken);

    /// <summary>
    /// Inserts every record or none (one transaction, one round trip); false, inserting nothing, when another writer
    /// inserted one of the same (kind, scope, version) first — or the insert failed otherwise: the caller then goes key by
    /// key, which tells the two apart.
    /// </summary>
    bool TryInsertAll(IReadOnlyList<DataKeyRecord> records);

    /// <inheritdoc cref="TryInsertAll"/>
    Task<bool> TryInsertAllAsync(IReadOnlyList<DataKeyRecord> records, CancellationToken cancellationToken);

    /// <summary>
    /// Inserts, in one round trip, each of <paramref name="records"/> (first keys: version 1) whose kind and scope have no
    /// key at all yet — a shredded scope keeps its destroyed entries, so it never gets one here — and returns those it
    /// inserted. Nothing (and no exception) when another writer inserted the first key of one of the scopes at the same
    /// moment: the caller then goes the ordinary way, which finds the winner's key. A new patient's key costs one round
    /// trip instead of a lookup and an insert.
    /// </summary>
    IReadOnlyList<DataKeyRecord> InsertFirstKeys(IReadOnlyList<DataKeyRecord> records);

    /// <inheritdoc cref="InsertFirstKeys"/>
    Task<IReadOnlyList<DataKeyRecord>> InsertFirstKeysAsync(IReadOnlyList<DataKeyRecord> records, CancellationToken cancellationToken);

    /// <summary>Atomically adds <paramref name="count"/> to the key's reserved invocations unless that would pass <paramref name="limit"/>.</summary>
    bool TryReserveInvocations(Guid id, long count, long limit);

    Task<IReadOnlyList<DataKeyRecord>> ListAsync(DataKeyKind? kind, string? scope, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the record's state, wrapped key, wrapping key, algorithm and times — and nothing else (not the reserved
    /// invocations) — if the stored key still has revision <see cref="DataKeyRecord.Revision"/> and a state no later than
    /// the record's; then stores and sets the next revision. False, changing nothing, when another writer changed the key
    /// first (or it is gone): read it again and decide anew.
    /// </summary>
    bool TryUpdate(DataKeyRecord record);

    /// <inheritdoc cref="TryUpdate"/>
    Task<bool> TryUpdateAsync(DataKeyRecord record, CancellationToken cancellationToken);
}
