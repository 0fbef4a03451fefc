using Hipaa.Encryption;

namespace Hipaa.Benchmarks;

/// <summary>A key table in a list, so the cipher benchmarks can measure the key ring's cached lookups without a database.</summary>
internal sealed class InMemoryDataKeyStore : IDataKeyStore
{
    private readonly List<DataKeyRecord> _records = [];
    private readonly Lock _gate = new();

    public DataKeyRecord? Find(Guid id)
    {
        lock (_gate)
        {
            return _records.Find(r => r.Id == id);
        }
    }

    public Task<DataKeyRecord?> FindAsync(Guid id, CancellationToken cancellationToken) => Task.FromResult(Find(id));

    public DataKeyRecord? FindLatest(DataKeyKind kind, string scope)
    {
        lock (_gate)
        {
            return _records.Where(r => r.Kind == kind && r.Scope == scope).MaxBy(r => r.Version);
        }
    }

    public Task<DataKeyRecord?> FindLatestAsync(DataKeyKind kind, string scope, CancellationToken cancellationToken) =>
        Task.FromResult(FindLatest(kind, scope));

    public DataKeyRecord? FindVersion(DataKeyKind kind, string scope, int version)
    {
        lock (_gate)
        {
            return _records.Find(r => r.Kind == kind && r.Scope == scope && r.Version == version);
        }
    }

    public Task<DataKeyRecord?> FindVersionAsync(DataKeyKind kind, string scope, int version, CancellationToken cancellationToken) =>
        Task.FromResult(FindVersion(kind, scope, version));

    public bool TryInsert(DataKeyRecord record)
    {
        lock (_gate)
        {
            if (_records.Exists(r => r.Kind == record.Kind && r.Scope == record.Scope && r.Version == record.Version))
            {
                return false;
            }

            _records.Add(record);
            return true;
        }
    }

    public Task<bool> TryInsertAsync(DataKeyRecord record, CancellationToken cancellationToken) => Task.FromResult(TryInsert(record));

    public IReadOnlyList<DataKeyRecord> FindLatestMany(DataKeyKind kind, IReadOnlyCollection<string> scopes)
    {
        lock (_gate)
        {
            return [.. _records.Where(r => r.Kind == kind && scopes.Contains(r.Scope)).GroupBy(r => r.Scope).Select(g => g.MaxBy(r => r.Version)!)];
        }
    }

    public Task<IReadOnlyList<DataKeyRecord>> FindLatestManyAsync(DataKeyKind kind, IReadOnlyCollection<string> scopes, CancellationToken cancellationToken) =>
        Task.FromResult(FindLatestMany(kind, scopes));

    public bool TryInsertAll(IReadOnlyList<DataKeyRecord> records)
    {
        lock (_gate)
        {
            if (records.Any(record => _records.Exists(r => r.Kind == record.Kind && r.Scope == record.Scope && r.Version == record.Version)))
            {
                return false;
            }

            _records.AddRange(records);
            return true;
        }
    }

    public Task<bool> TryInsertAllAsync(IReadOnlyList<DataKeyRecord> records, CancellationToken cancellationToken) => Task.FromResult(TryInsertAll(records));

    public IReadOnlyList<DataKeyRecord> InsertFirstKeys(IReadOnlyList<DataKeyRecord> records)
    {
        lock (_gate)
        {
            var inserted = records.Where(record => !_records.Exists(r => r.Kind == record.Kind && r.Scope == record.Scope)).ToList();
            _records.AddRange(inserted);
            return inserted;
        }
    }

    public Task<IReadOnlyList<DataKeyRecord>> InsertFirstKeysAsync(IReadOnlyList<DataKeyRecord> records, CancellationToken cancellationToken) =>
        Task.FromResult(InsertFirstKeys(records));

    public bool TryReserveInvocations(Guid id, long count, long limit)
    {
        lock (_gate)
        {
            var record = _records.Find(r => r.Id == id);
            if (record is null || record.InvocationsReserved + count > limit)
            {
                return false;
            }

            record.InvocationsReserved += count;
            return true;
        }
    }

    public Task<IReadOnlyList<DataKeyRecord>> ListAsync(DataKeyKind? kind, string? scope, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<DataKeyRecord> list = _records.Where(r => (kind is null || r.Kind == kind) && (scope is null || r.Scope == scope)).ToList();
            return Task.FromResult(list);
        }
    }

    public bool TryUpdate(DataKeyRecord record)
    {
        lock (_gate)
        {
            var stored = _records.Find(r => r.Id == record.Id);
            if (stored is null || stored.Revision != record.Revision || stored.State > record.State)
            {
                return false;
            }

            _records[_records.IndexOf(stored)] = record;
            record.Revision++;
            return true;
        }
    }

    public Task<bool> TryUpdateAsync(DataKeyRecord record, CancellationToken cancellationToken) => Task.FromResult(TryUpdate(record));
}
