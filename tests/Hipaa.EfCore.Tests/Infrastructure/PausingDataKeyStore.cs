using Hipaa.Encryption;

namespace Hipaa.EfCore.Tests.Infrastructure;

/// <summary>
/// A key store that forwards to another and can hold its next state change at a gate: the writer has read the key
/// table and is about to write, and waits there while the test lets another writer run to completion — a race made
/// deterministic.
/// </summary>
internal sealed class PausingDataKeyStore(IDataKeyStore inner) : IDataKeyStore
{
    private volatile Pause? _pause;

    /// <summary>Holds the next state change (update) until <see cref="Pause.Release"/>.</summary>
    public Pause PauseNextUpdate() => _pause = new Pause();

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

    public Task<IReadOnlyList<DataKeyRecord>> ListAsync(DataKeyKind? kind, string? scope, CancellationToken cancellationToken) =>
        inner.ListAsync(kind, scope, cancellationToken);

    public bool TryUpdate(DataKeyRecord record)
    {
        WaitIfPausedAsync(CancellationToken.None).GetAwaiter().GetResult();
        return inner.TryUpdate(record);
    }

    public async Task<bool> TryUpdateAsync(DataKeyRecord record, CancellationToken cancellationToken)
    {
        await WaitIfPausedAsync(cancellationToken);
        return await inner.TryUpdateAsync(record, cancellationToken);
    }

    private async Task WaitIfPausedAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _pause, null) is { } pause)
        {
            pause.SignalEntered();
            await pause.Released.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        }
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
