namespace Hipaa.Encryption;

/// <summary>
/// Persists wrapped keys (the EF-backed implementation lives in Hipaa.EfCore). Sync members exist because EF Core
/// materializes entities synchronously; the async ones serve everything else.
/// </summary>
internal interface IDataKeyStore
{
    DataKeyRecord? Find(Guid id);

    Task<DataKeyRecord?> FindAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>The key of a kind in a scope with the highest version, whatever its state, if any.</summary>
    DataKeyRecord? FindLatest(DataKeyKind kind, string scope);

    Task<DataKeyRecord?> FindLatestAsync(DataKeyKind kind, string scope, CancellationToken cancellationToken);

    /// <summary>Inserts a new key; false when another writer inserted the same (kind, scope, version) first.</summary>
    bool TryInsert(DataKeyRecord record);

    Task<bool> TryInsertAsync(DataKeyRecord record, CancellationToken cancellationToken);

    /// <summary>Atomically adds <paramref name="count"/> to the key's reserved invocations unless that would pass <paramref name="limit"/>.</summary>
    bool TryReserveInvocations(Guid id, long count, long limit);

    Task<IReadOnlyList<DataKeyRecord>> ListAsync(DataKeyKind? kind, string? scope, CancellationToken cancellationToken);

    /// <summary>Saves changes to existing records (state, wrapped key, wrapping key id).</summary>
    Task UpdateAsync(IReadOnlyCollection<DataKeyRecord> records, CancellationToken cancellationToken);
}
