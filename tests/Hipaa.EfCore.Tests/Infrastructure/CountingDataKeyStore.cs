using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Hipaa.Encryption;

namespace Hipaa.EfCore.Tests.Infrastructure;

/// <summary>A key store that forwards to another and records every call (one call is one round trip to the key table).</summary>
internal sealed class CountingDataKeyStore(IDataKeyStore inner) : IDataKeyStore
{
    private readonly ConcurrentQueue<string> _calls = new();

    /// <summary>Gets the calls since the last <see cref="Reset"/>, by member name, in order.</summary>
    public IReadOnlyList<string> Calls => [.. _calls];

    public void Reset() => _calls.Clear();

    /// <summary>Gets or sets a hook called after each call returns, with the member name (to interleave something with the caller).</summary>
    public Action<string>? AfterCall { get; set; }

    public DataKeyRecord? Find(Guid id) => Count(inner.Find(id));

    public Task<DataKeyRecord?> FindAsync(Guid id, CancellationToken cancellationToken) => Count(inner.FindAsync(id, cancellationToken));

    public DataKeyRecord? FindLatest(DataKeyKind kind, string scope) => Count(inner.FindLatest(kind, scope));

    public Task<DataKeyRecord?> FindLatestAsync(DataKeyKind kind, string scope, CancellationToken cancellationToken) => Count(inner.FindLatestAsync(kind, scope, cancellationToken));

    public IReadOnlyList<DataKeyRecord> FindLatestMany(DataKeyKind kind, IReadOnlyCollection<string> scopes) => Count(inner.FindLatestMany(kind, scopes));

    public Task<IReadOnlyList<DataKeyRecord>> FindLatestManyAsync(DataKeyKind kind, IReadOnlyCollection<string> scopes, CancellationToken cancellationToken) =>
        Count(inner.FindLatestManyAsync(kind, scopes, cancellationToken));

    public DataKeyRecord? FindVersion(DataKeyKind kind, string scope, int version) => Count(inner.FindVersion(kind, scope, version));

    public Task<DataKeyRecord?> FindVersionAsync(DataKeyKind kind, string scope, int version, CancellationToken cancellationToken) =>
        Count(inner.FindVersionAsync(kind, scope, version, cancellationToken));

    public bool TryInsert(DataKeyRecord record) => Count(inner.TryInsert(record));

    public Task<bool> TryInsertAsync(DataKeyRecord record, CancellationToken cancellationToken) => Count(inner.TryInsertAsync(record, cancellationToken));

    public bool TryInsertAll(IReadOnlyList<DataKeyRecord> records) => Count(inner.TryInsertAll(records));

    public Task<bool> TryInsertAllAsync(IReadOnlyList<DataKeyRecord> records, CancellationToken cancellationToken) => Count(inner.TryInsertAllAsync(records, cancellationToken));

    public IReadOnlyList<DataKeyRecord> InsertFirstKeys(IReadOnlyList<DataKeyRecord> records) => Count(inner.InsertFirstKeys(records));

    public Task<IReadOnlyList<DataKeyRecord>> InsertFirstKeysAsync(IReadOnlyList<DataKeyRecord> records, CancellationToken cancellationToken) =>
        Count(inner.InsertFirstKeysAsync(records, cancellationToken));

    public bool TryReserveInvocations(Guid id, long count, long limit) => Count(inner.TryReserveInvocations(id, count, limit));

    public Task<IReadOnlyList<DataKeyRecord>> ListAsync(DataKeyKind? kind, string? scope, CancellationToken cancellationToken) => Count(inner.ListAsync(kind, scope, cancellationToken));

    public bool TryUpdate(DataKeyRecord record) => Count(inner.TryUpdate(record));

    public Task<bool> TryUpdateAsync(DataKeyRecord record, CancellationToken cancellationToken) => Count(inner.TryUpdateAsync(record, cancellationToken));

    private T Count<T>(T result, [CallerMemberName] string member = "")
    {
        _calls.Enqueue(member);
        AfterCall?.Invoke(member);
        return result;
    }
}
