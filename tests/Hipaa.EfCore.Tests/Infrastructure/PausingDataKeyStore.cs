using Hipaa.Encryption;

namespace Hipaa.EfCore.Tests.Infrastructure;

/// <summary>
/// A key store that forwards to another and can hold its next state change at a gate: the writer has read the key
/// table and is about to write, and waits there while the test lets another writer run to completion — a race made
/// deterministic.
/// </summary>
internal sealed class PausingDataKeyStore(IDataKeyStore inner) : IDataKeyStore
{
    private Pause? _pause;
    private Pause? _insertPause;

    /// <summary>Holds the next state change (update) until <see cref="Pause.Release"/>.</summary>
    public Pause PauseNextUpdate() => Arm(ref _pause);

    /// <summary>Holds the next batch insert (<see cref="IDataKeyStore.TryInsertAll"/> or <see cref="IDataKeyStore.InsertFirstKeys"/>) until <see cref="Pause.Release"/>: its lookup is done, its insert not yet.</summary>
    public Pause PauseNextInsertAll() => Arm(ref _insertPause);

    public DataKeyRecord? Find(Guid id) => inner.Find(id);

    public Task<DataKeyRecord?> FindAsync(Guid id, CancellationToken cancellationToken) => inner.FindAsync(id, cancellationToken);

    public DataKeyRecord? FindLatest(DataKeyKind kind, string scope) => inner.FindLatest(kind, scope);

    public Task<DataKeyRecord?> FindLatestAsync(DataKeyKind kind, string scope, CancellationToken cancellationToken) =>
        inner.FindLatestAsync(kind, scope, cancellationToken);

    public DataKeyRecord? FindVersion(DataKeyKind kind, string scope, int version) => inner.FindVersion(kind, scope, version);

    public Task<DataKeyRecord?> FindVersionAsync(DataKeyKind kind, string scope, int version, CancellationToken cancellationToken) =>
        inner.FindVersionAsync(kind, scope, version, cancellationToken);

    public bool TryInsert(DataKeyRecord record) => inner.TryInsert(record);

    public Task<bool> TryInsertAsync(DataKeyRecord record, CancellationToken cancellationToken) => inner.TryInsertAsync(record, cancellationToken);

    public bool TryReserveInvocations(Guid id, long count, long limit) => inner.TryReserveInvocations(id, count, limit);

    public IReadOnlyList<DataKeyRecord> FindLatestMany(DataKeyKind kind, IReadOnlyCollection<string> scopes) => inner.FindLatestMany(kind, scopes);

    public Task<IReadOnlyList<DataKeyRecord>> FindLatestManyAsync(DataKeyKind kind, IReadOnlyCollection<string> scopes, CancellationToken cancellationToken) =>
        inner.FindLatestManyAsync(kind, scopes, cancellationToken);

    public bool TryInsertAll(IReadOnlyList<DataKeyRecord> records)
    {
        WaitIfPausedAsync(ref _insertPause, CancellationToken.None).GetAwaiter().GetResult();
        return inner.TryInsertAll(records);
    }

    public async Task<bool> TryInsertAllAsync(IReadOnlyList<DataKeyRecord> records, CancellationToken cancellationToken)
    {
        await WaitIfPausedAsync(ref _insertPause, cancellationToken);
        return await inner.TryInsertAllAsync(records, cancellationToken);
    }

    public IReadOnlyList<DataKeyRecord> InsertFirstKeys(IReadOnlyList<DataKeyRecord> records)
    {
        WaitIfPausedAsync(ref _insertPause, CancellationToken.None).GetAwaiter().GetResult();
        return inner.InsertFirstKeys(records);
    }

    public async Task<IReadOnlyList<DataKeyRecord>> InsertFirstKeysAsync(IReadOnlyList<DataKeyRecord> records, CancellationToken cancellationToken)
    {
        await WaitIfPausedAsync(ref _insertPause, cancellationToken);
        return await inner.InsertFirstKeysAsync(records, cancellationToken);
    }

    public Task<IReadOnlyList<DataKeyRecord>> ListAsync(DataKeyKind? kind, string? scope, CancellationToken cancellationToken) =>
        inner.ListAsync(kind, scope, cancellationToken);

    public bool TryUpdate(DataKeyRecord record)
    {
        WaitIfPausedAsync(ref _pause, CancellationToken.None).GetAwaiter().GetResult();
        return inner.TryUpdate(record);
    }

    public async Task<bool> TryUpdateAsync(DataKeyRecord record, CancellationToken cancellationToken)
    {
        await WaitIfPausedAsync(ref _pause, cancellationToken);
        return await inner.TryUpdateAsync(record, cancellationToken);
    }

    private static Task WaitIfPausedAsync(ref Pause? slot, CancellationToken cancellationToken) =>
        Interlocked.Exchange(ref slot, null) is { } pause ? WaitAsync(pause, cancellationToken) : Task.CompletedTask;

    private static async Task WaitAsync(Pause pause, CancellationToken cancellationToken)
    {
        pause.SignalEntered();
        await pause.Released.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
    }

    private static Pause Arm(ref Pause? slot)
    {
        var pause = new Pause();
        Volatile.Write(ref slot, pause);
        return pause;
    }

    /// <summary>One held write: <see cref="Entered"/> completes when the writer reaches it, <see cref="Release"/> lets it go.</summary>
    internal sealed class Pause
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public Task Released => _released.Task;

        public void SignalEntered() => _entered.TrySetResult();

        public void Release() => _released.TrySetResult();
    }
}
