using System.Collections.Concurrent;
using Hipaa.Auditing;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// Appends read records to the audit store with group commit: callers enqueue records and wait; one dedicated thread
/// takes everything queued, writes it in one transaction and releases all waiters together. A caller is released only
/// once its records are committed; if the store fails, every waiter of that batch gets an <see cref="AuditUnavailableException"/>.
/// </summary>
internal sealed class AuditWriter : IDisposable
{
    private readonly BlockingCollection<Pending> _queue = new(new ConcurrentQueue<Pending>());
    private readonly DbContextOptions<AuditDbContext> _options;
    private readonly int _maxBatchSize;
    private readonly Thread _thread;

    public AuditWriter(DbContextOptions<AuditDbContext> options, int maxBatchSize)
    {
        _options = options;
        _maxBatchSize = maxBatchSize;
        _thread = new Thread(Run) { IsBackground = true, Name = "Hipaa audit group commit" };
        _thread.Start();
    }

    /// <summary>Queues <paramref name="entries"/> and returns a task that completes when they are committed.</summary>
    public Task AppendAsync(IReadOnlyList<AuditEntry> entries)
    {
        var pending = new Pending(entries);
        try
        {
            _queue.Add(pending);
        }
        catch (InvalidOperationException stopped)
        {
            throw new AuditUnavailableException("The audit writer has stopped (the application is shutting down); the access was refused.", stopped);
        }

        return pending.Completion.Task;
    }

    public void Append(IReadOnlyList<AuditEntry> entries) => AppendAsync(entries).GetAwaiter().GetResult();

    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join(TimeSpan.FromSeconds(10));
        _queue.Dispose();
    }

    private void Run()
    {
        var batch = new List<Pending>();
        foreach (var first in _queue.GetConsumingEnumerable())
        {
            batch.Clear();
            batch.Add(first);
            var count = first.Entries.Count;
            while (count < _maxBatchSize && _queue.TryTake(out var next))
            {
                batch.Add(next);
                count += next.Entries.Count;
            }

            try
            {
                using var context = new AuditDbContext(_options);
                foreach (var pending in batch)
                {
                    context.Entries.AddRange(pending.Entries);
                }

                context.SaveChanges();
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetResult();
                }
            }
            catch (Exception failure)
            {
                var refused = new AuditUnavailableException(
                    $"The audit store did not accept {count} audit record(s) ({failure.GetType().Name}: {failure.Message}). The access was refused because it could not be recorded; retry when the audit store is reachable.",
                    failure);
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetException(refused);
                }
            }
        }
    }

    private sealed class Pending(IReadOnlyList<AuditEntry> entries)
    {
        public IReadOnlyList<AuditEntry> Entries { get; } = entries;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
