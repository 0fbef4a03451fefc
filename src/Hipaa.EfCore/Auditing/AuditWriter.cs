using Hipaa.Auditing;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// Appends audit records to the audit store with group commit, on the callers' own threads (leader/follower): a caller
/// queues its records; if no write is in progress it becomes the leader and writes everything queued (up to the batch size)
/// in one transaction, and keeps writing until its own records are settled; then it hands the lead to the owner of the
/// oldest records still queued, or gives it up when none are. The other callers wait. A caller is released only once its
/// records are committed; if the store fails, every caller of that batch gets an <see cref="AuditUnavailableException"/>.
/// </summary>
internal sealed class AuditWriter : IDisposable
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    private readonly object _gate = new();
    private readonly Queue<AuditAppendRequest> _queue = new();
    private readonly AuditBatchInserter _inserter;
    private readonly int _maxBatchSize;

    // Owned by the leader (one at a time; the lock hands them over).
    private readonly List<AuditEntry> _rows = [];
    private readonly List<(AuditAppendRequest Request, int Start, int Count)> _slices = [];

    private bool _leading;
    private bool _stopping;

    public AuditWriter(DbContextOptions<AuditDbContext> options, int maxBatchSize)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatchSize);
        _inserter = new AuditBatchInserter(options);
        _maxBatchSize = maxBatchSize;
    }

    /// <summary>Gets the number of transactions committed so far (for tests).</summary>
    internal long Transactions => _inserter.Transactions;

    /// <summary>Gets the most rows committed in one transaction so far (for tests).</summary>
    internal int LargestTransaction => _inserter.LargestTransaction;

    /// <summary>Gets the number of connections the writer opened so far (for tests).</summary>
    internal int ConnectionsOpened => _inserter.ConnectionsOpened;

    /// <summary>Queues <paramref name="entries"/> and returns a task that completes when they are committed.</summary>
    public Task AppendAsync(IReadOnlyList<AuditEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var request = new AuditAppendRequest(entries);
        var lead = Enqueue(request);
        return entries.Count == 0 ? Task.CompletedTask : WaitOrLeadAsync(request, lead, async: true);
    }

    /// <summary>Queues <paramref name="entries"/> and blocks until they are committed.</summary>
    public void Append(IReadOnlyList<AuditEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var request = new AuditAppendRequest(entries);
        var lead = Enqueue(request);
        if (entries.Count > 0)
        {
            // Synchronous all the way down (no awaits on incomplete tasks): GetResult only unwraps the outcome.
            WaitOrLeadAsync(request, lead, async: false).GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Refuses new records, waits (up to 10 seconds) for the queued ones to be written, refuses those still queued then,
    /// and closes the connection (or leaves that to the last leader, when one is still writing).
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping)
            {
                return;
            }

            _stopping = true;
            var deadline = Environment.TickCount64 + (long)DrainTimeout.TotalMilliseconds;
            while (_leading)
            {
                var remaining = deadline - Environment.TickCount64;
                if (remaining <= 0 || !Monitor.Wait(_gate, TimeSpan.FromMilliseconds(remaining)))
                {
                    break;
                }
            }

            if (_leading)
            {
                // The store has not answered for DrainTimeout: refuse what waits; the leader closes the connection when it leaves.
                foreach (var request in _queue)
                {
                    request.Settle(Stopped());
                }
            }
            else
            {
                _inserter.Dispose();
            }
        }
    }

    private static AuditUnavailableException Stopped() =>
        new("The audit writer has stopped (the application is shutting down); the access was refused.");

    private static AuditUnavailableException Refused(int count, Exception failure) => new(
        $"The audit store did not accept {count} audit record(s) ({failure.GetType().Name}: {failure.Message}). The access was refused because it could not be recorded; retry when the audit store is reachable.",
        failure);

    /// <summary>Queues <paramref name="request"/>; returns whether its owner leads (no write was in progress).</summary>
    private bool Enqueue(AuditAppendRequest request)
    {
        lock (_gate)
        {
            if (_stopping)
            {
                throw Stopped();
            }

            if (request.Entries.Count == 0)
            {
                return false;
            }

            _queue.Enqueue(request);
            if (_leading)
            {
                return false;
            }

            _leading = true;
            return true;
        }
    }

    private async Task WaitOrLeadAsync(AuditAppendRequest request, bool lead, bool async)
    {
        if (!lead)
        {
            lead = async
                ? await request.Woken.ConfigureAwait(false)
                : request.Woken.GetAwaiter().GetResult();
        }

        if (lead)
        {
            await LeadAsync(request, async).ConfigureAwait(false);
        }

        if (request.Failure is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>Writes batches from the head of the queue until <paramref name="own"/> is settled, then passes the lead on.</summary>
    private async Task LeadAsync(AuditAppendRequest own, bool async)
    {
        try
        {
            while (true)
            {
                lock (_gate)
                {
                    if (own.IsSettled)
                    {
                        break;
                    }

                    TakeBatch();
                    if (_slices.Count == 0)
                    {
                        // Cannot happen (an unsettled request is queued until its last records are taken); never report success for it.
                        own.Settle(new AuditUnavailableException("The audit writer lost track of queued audit records; the access was refused."));
                        break;
                    }
                }

                _rows.Clear();
                foreach (var (request, start, count) in _slices)
                {
                    for (var i = start; i < start + count; i++)
                    {
                        _rows.Add(request.Entries[i]);
                    }
                }

                Exception? failure = null;
                try
                {
                    await _inserter.WriteAsync(_rows, async).ConfigureAwait(false);
                    Diagnostics.EfCoreTelemetry.RecordsAppended.Add(_rows.Count);
                }
                catch (Exception e)
                {
                    failure = e;
                    Diagnostics.EfCoreTelemetry.AppendFailures.Add(1);
                }

                lock (_gate)
                {
                    Settle(failure);
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                PassLead();
            }
        }
    }

    /// <summary>Takes records from the head of the queue, oldest first, up to the batch size (under the lock).</summary>
    private void TakeBatch()
    {
        _slices.Clear();
        var rows = 0;
        while (rows < _maxBatchSize && _queue.TryPeek(out var head))
        {
            if (head.IsSettled)
            {
                _queue.Dequeue();
                continue;
            }

            var count = Math.Min(head.Entries.Count - head.Taken, _maxBatchSize - rows);
            _slices.Add((head, head.Taken, count));
            head.Taken += count;
            rows += count;
            if (head.Taken < head.Entries.Count)
            {
                break;
            }

            _queue.Dequeue();
        }
    }

    /// <summary>Settles the requests of the batch just written (under the lock).</summary>
    private void Settle(Exception? failure)
    {
        foreach (var (request, _, count) in _slices)
        {
            if (failure is not null)
            {
                request.Settle(Refused(_rows.Count, failure));
            }
            else if ((request.Committed += count) == request.Entries.Count)
            {
                request.Settle(null);
            }
        }

        _slices.Clear();
    }

    /// <summary>Hands the lead to the owner of the oldest queued records, or gives it up (under the lock).</summary>
    private void PassLead()
    {
        while (_queue.TryPeek(out var head) && head.IsSettled)
        {
            _queue.Dequeue();
        }

        if (_queue.TryPeek(out var next))
        {
            next.Lead();
            return;
        }

        _leading = false;
        if (_stopping)
        {
            _inserter.Dispose();
            Monitor.PulseAll(_gate);
        }
    }
}
