using Hipaa.Encryption;

namespace Hipaa.Tests.Encryption;

/// <summary>
/// A thread-safe key table in memory. Like a database it hands out copies, so a caller sees its changes stored only
/// through <see cref="TryUpdate"/> (a compare-and-set on the revision, as in the EF store); it enforces the (kind, scope, version) uniqueness that makes
/// <see cref="TryInsert"/> a compare-and-set, and it reserves invocations atomically.
/// </summary>
internal sealed class InMemoryDataKeyStore : IDataKeyStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, DataKeyRecord> _records = [];
    private readonly List<(Guid Id, long Count)> _reservations = [];
    private int _inserts;
    private int _finds;
    private int _batchFinds;
    private int _insertCalls;

    /// <summary>Gets how many keys were inserted.</summary>
    public int Inserts => Volatile.Read(ref _inserts);

    /// <summary>Gets how many times a key was looked up by id.</summary>
    public int Finds => Volatile.Read(ref _finds);

    /// <summary>Gets how many batch lookups (<see cref="FindLatestMany"/>) were made.</summary>
    public int BatchFinds => Volatile.Read(ref _batchFinds);

    /// <summary>Gets how many insert calls (single or batch) were made, successful or not.</summary>
    public int InsertCalls => Volatile.Read(ref _insertCalls);

    /// <summary>Gets every successful reservation, in order.</summary>
    public IReadOnlyList<(Guid Id, long Count)> Reservations
    {
        get
        {
            lock (_gate)
            {
                return [.. _reservations];
            }
        }
    }

    /// <summary>Gets copies of every stored record.</summary>
    public IReadOnlyList<DataKeyRecord> Snapshot()
    {
        lock (_gate)
        {
            return [.. _records.Values.Select(Copy)];
        }
    }

    /// <summary>Changes a stored record in place, the way someone with write access to the database could.</summary>
    public void Tamper(Guid id, Action<DataKeyRecord> change)
    {
        lock (_gate)
        {
            change(_records[id]);
        }
    }

    public DataKeyRecord? Find(Guid id)
    {
        Interlocked.Increment(ref _finds);
        lock (_gate)
        {
            return _records.TryGetValue(id, out var record) ? Copy(record) : null;
        }
    }

    public Task<DataKeyRecord?> FindAsync(Guid id, CancellationToken cancellationToken) => Task.FromResult(Find(id));

    public DataKeyRecord? FindLatest(DataKeyKind kind, string scope)
    {
        lock (_gate)
        {
            var latest = _records.Values
                .Where(r => r.Kind == kind && string.Equals(r.Scope, scope, StringComparison.Ordinal))
                .MaxBy(r => r.Version);
            return latest is null ? null : Copy(latest);
        }
    }

    public Task<DataKeyRecord?> FindLatestAsync(DataKeyKind kind, string scope, CancellationToken cancellationToken) =>
        Task.FromResult(FindLatest(kind, scope));

    public DataKeyRecord? FindVersion(DataKeyKind kind, string scope, int version)
    {
        lock (_gate)
        {
            var found = _records.Values.FirstOrDefault(r => r.Kind == kind && r.Version == version && string.Equals(r.Scope, scope, StringComparison.Ordinal));
            return found is null ? null : Copy(found);
        }
    }

    public Task<DataKeyRecord?> FindVersionAsync(DataKeyKind kind, string scope, int version, CancellationToken cancellationToken) =>
        Task.FromResult(FindVersion(kind, scope, version));

    public bool TryInsert(DataKeyRecord record) => TryInsertAll([record]);

    public IReadOnlyList<DataKeyRecord> FindLatestMany(DataKeyKind kind, IReadOnlyCollection<string> scopes)
    {
        Interlocked.Increment(ref _batchFinds);
        lock (_gate)
        {
            return
            [
                .. _records.Values
                    .Where(r => r.Kind == kind && scopes.Contains(r.Scope, StringComparer.Ordinal))
                    .GroupBy(r => r.Scope, StringComparer.Ordinal)
                    .Select(g => Copy(g.MaxBy(r => r.Version)!)),
            ];
        }
    }

    public Task<IReadOnlyList<DataKeyRecord>> FindLatestManyAsync(DataKeyKind kind, IReadOnlyCollection<string> scopes, CancellationToken cancellationToken) =>
        Task.FromResult(FindLatestMany(kind, scopes));

    public bool TryInsertAll(IReadOnlyList<DataKeyRecord> records)
    {
        Interlocked.Increment(ref _insertCalls);
        lock (_gate)
        {
            // All or nothing, as the EF store's one SaveChanges is.
            foreach (var record in records)
            {
                if (_records.ContainsKey(record.Id)
                    || records.Count(r => r.Kind == record.Kind && r.Version == record.Version && string.Equals(r.Scope, record.Scope, StringComparison.Ordinal)) > 1
                    || _records.Values.Any(r => r.Kind == record.Kind && r.Version == record.Version && string.Equals(r.Scope, record.Scope, StringComparison.Ordinal)))
                {
                    return false;
                }
            }

            foreach (var record in records)
            {
                _records.Add(record.Id, Copy(record));
                _inserts++;
                if (record.InvocationsReserved > 0)
                {
                    // A key inserted with its first block of encryptions already reserved.
                    _reservations.Add((record.Id, record.InvocationsReserved));
                }
            }

            return true;
        }
    }

    public Task<bool> TryInsertAllAsync(IReadOnlyList<DataKeyRecord> records, CancellationToken cancellationToken) => Task.FromResult(TryInsertAll(records));

    public IReadOnlyList<DataKeyRecord> InsertFirstKeys(IReadOnlyList<DataKeyRecord> records)
    {
        Interlocked.Increment(ref _insertCalls);
        lock (_gate)
        {
            // As the EF store's INSERT … WHERE NOT EXISTS: only where the kind and scope have no key at all.
            var inserted = new List<DataKeyRecord>();
            foreach (var record in records)
            {
                if (_records.ContainsKey(record.Id)
                    || _records.Values.Any(r => r.Kind == record.Kind && string.Equals(r.Scope, record.Scope, StringComparison.Ordinal)))
                {
                    continue;
                }

                _records.Add(record.Id, Copy(record));
                _inserts++;
                if (record.InvocationsReserved > 0)
                {
                    _reservations.Add((record.Id, record.InvocationsReserved));
                }

                inserted.Add(record);
            }

            return inserted;
        }
    }

    public Task<IReadOnlyList<DataKeyRecord>> InsertFirstKeysAsync(IReadOnlyList<DataKeyRecord> records, CancellationToken cancellationToken) =>
        Task.FromResult(InsertFirstKeys(records));

    public Task<bool> TryInsertAsync(DataKeyRecord record, CancellationToken cancellationToken) => Task.FromResult(TryInsert(record));

    public bool TryReserveInvocations(Guid id, long count, long limit)
    {
        lock (_gate)
        {
            // As the EF store does: only an active key can be reserved, and never past the limit.
            if (!_records.TryGetValue(id, out var record) || record.State != DataKeyState.Active || record.InvocationsReserved + count > limit)
            {
                return false;
            }

            record.InvocationsReserved += count;
            _reservations.Add((id, count));
            return true;
        }
    }

    public Task<IReadOnlyList<DataKeyRecord>> ListAsync(DataKeyKind? kind, string? scope, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<DataKeyRecord> list =
            [
                .. _records.Values
                    .Where(r => (kind is null || r.Kind == kind) && (scope is null || string.Equals(r.Scope, scope, StringComparison.Ordinal)))
                    .OrderBy(r => r.Version)
                    .Select(Copy),
            ];
            return Task.FromResult(list);
        }
    }

    public bool TryUpdate(DataKeyRecord record)
    {
        lock (_gate)
        {
            // As the EF store does: a compare-and-set on the revision that never moves a state back, and that writes the
            // state columns only (not the reserved invocations).
            if (!_records.TryGetValue(record.Id, out var stored) || stored.Revision != record.Revision || stored.State > record.State)
            {
                return false;
            }

            stored.State = record.State;
            stored.WrappedKey = record.WrappedKey?.ToArray();
            stored.WrappedBy = record.WrappedBy;
            stored.WrapAlgorithm = record.WrapAlgorithm;
            stored.RetiredAt = record.RetiredAt;
            stored.DestroyedAt = record.DestroyedAt;
            stored.Revision = ++record.Revision;
            return true;
        }
    }

    public Task<bool> TryUpdateAsync(DataKeyRecord record, CancellationToken cancellationToken) => Task.FromResult(TryUpdate(record));

    private static DataKeyRecord Copy(DataKeyRecord record) => new()
    {
        Id = record.Id,
        Kind = record.Kind,
        Scope = record.Scope,
        Version = record.Version,
        State = record.State,
        WrappedKey = record.WrappedKey?.ToArray(),
        WrappedBy = record.WrappedBy,
        WrapAlgorithm = record.WrapAlgorithm,
        CreatedAt = record.CreatedAt,
        RetiredAt = record.RetiredAt,
        DestroyedAt = record.DestroyedAt,
        InvocationsReserved = record.InvocationsReserved,
        Revision = record.Revision,
        Authenticator = record.Authenticator?.ToArray(),
    };
}
