namespace Hipaa.EfCore.Reading;

/// <summary>
/// A compiled query's results, read ahead a batch at a time: the batch's read records are committed in one group commit
/// before the first result of the batch is handed out, so nothing reaches the caller unrecorded and a page of up to
/// <c>ReadAheadRows</c> results costs one commit. If the commit fails, the batch is dropped and the enumeration throws.
/// </summary>
/// <typeparam name="T">The result type.</typeparam>
internal sealed class ReadAheadAsyncEnumerable<T>(IAsyncEnumerable<T> inner, ReadAheadQueryCompiler.Batch batch) : IAsyncEnumerable<T>
{
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new Enumerator(inner.GetAsyncEnumerator(cancellationToken), batch, cancellationToken);

    private sealed class Enumerator(IAsyncEnumerator<T> inner, ReadAheadQueryCompiler.Batch batch, CancellationToken cancellationToken) : IAsyncEnumerator<T>
    {
        private readonly Queue<T> _ahead = new();
        private bool _exhausted;
        private bool _scoped;
        private int _outerReaders = -1;

        public T Current { get; private set; } = default!;

        public async ValueTask<bool> MoveNextAsync()
        {
            if (_ahead.Count == 0 && !_exhausted)
            {
                await FillAsync().ConfigureAwait(false);
            }

            if (_ahead.TryDequeue(out var next))
            {
                Current = next;
                return true;
            }

            Current = default!;
            return false;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await inner.DisposeAsync().ConfigureAwait(false);
                if (_scoped)
                {
                    // Stopped early (break, an exception in the loop): whatever closing its reader recorded is committed now.
                    await batch.Session.FlushAsync(batch.Context, batch.Runtime, async: true, CancellationToken.None).ConfigureAwait(false);
                }
            }
            finally
            {
                LeaveScope();
            }
        }

        private async ValueTask FillAsync()
        {
            if (!_scoped)
            {
                batch.Session.BatchScopes++;
                _scoped = true;
            }

            if (_outerReaders < 0)
            {
                _outerReaders = batch.Session.OpenReaders; // readers opened from here on are this query's
            }

            try
            {
                // A batch at a time — but a query recorded unattributed is recorded when its reader closes, so it is read
                // to the end first: none of its values leaves before that record is durable.
                while (_ahead.Count < batch.Rows || batch.Session.RecordsWhenClosed(_outerReaders))
                {
                    if (!await inner.MoveNextAsync().ConfigureAwait(false))
                    {
                        _exhausted = true;
                        await inner.DisposeAsync().ConfigureAwait(false); // closes the reader: its records join the batch
                        break;
                    }

                    _ahead.Enqueue(inner.Current);
                }

                await batch.Session.FlushAsync(batch.Context, batch.Runtime, async: true, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                _ahead.Clear(); // nothing of a batch whose records are not durable is handed out
                _exhausted = true;
                batch.Session.Deferred.Clear();
                throw;
            }
            finally
            {
                if (_exhausted)
                {
                    LeaveScope();
                }
            }
        }

        private void LeaveScope()
        {
            if (_scoped)
            {
                _scoped = false;
                batch.Session.BatchScopes--;
            }
        }
    }
}
