using System.Collections;

namespace Hipaa.EfCore.Reading;

/// <summary>The synchronous twin of <see cref="ReadAheadAsyncEnumerable{T}"/> (<c>ToList()</c>, <c>foreach</c> over a query).</summary>
/// <typeparam name="T">The result type.</typeparam>
internal sealed class ReadAheadEnumerable<T>(IEnumerable<T> inner, ReadAheadQueryCompiler.Batch batch) : IEnumerable<T>
{
    public IEnumerator<T> GetEnumerator() => new Enumerator(inner.GetEnumerator(), batch);

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private sealed class Enumerator(IEnumerator<T> inner, ReadAheadQueryCompiler.Batch batch) : IEnumerator<T>
    {
        private readonly Queue<T> _ahead = new();
        private bool _exhausted;
        private bool _scoped;
        private int _outerReaders = -1;

        public T Current { get; private set; } = default!;

        object? IEnumerator.Current => Current;

        public bool MoveNext()
        {
            if (_ahead.Count == 0 && !_exhausted)
            {
                Fill();
            }

            if (_ahead.TryDequeue(out var next))
            {
                Current = next;
                return true;
            }

            Current = default!;
            return false;
        }

        public void Reset() => throw new NotSupportedException("A query's results cannot be enumerated again; run the query again.");

        public void Dispose()
        {
            try
            {
                inner.Dispose();
                if (_scoped)
                {
                    // Stopped early (break, an exception in the loop): whatever closing its reader recorded is committed now.
                    batch.Session.FlushAsync(batch.Context, batch.Runtime, async: false, CancellationToken.None).GetAwaiter().GetResult();
                }
            }
            finally
            {
                LeaveScope();
            }
        }

        private void Fill()
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
                    if (!inner.MoveNext())
                    {
                        _exhausted = true;
                        inner.Dispose(); // closes the reader: its records join the batch
                        break;
                    }

                    _ahead.Enqueue(inner.Current);
                }

                batch.Session.FlushAsync(batch.Context, batch.Runtime, async: false, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch
            {
                _ahead.Clear();
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
