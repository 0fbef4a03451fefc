namespace Hipaa.EfCore.Auditing;

/// <summary>
/// One caller's records waiting in the group-commit writer. Its owner waits on <see cref="Woken"/>, which completes with
/// <see langword="true"/> when the owner must lead (write the queue) or with <see langword="false"/> when the records are
/// settled: committed, or refused with <see cref="Failure"/>. Apart from the records, every member is read and changed
/// under the writer's lock.
/// </summary>
internal sealed class AuditAppendRequest(IReadOnlyList<AuditEntry> entries)
{
    private readonly TaskCompletionSource<bool> _woken = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<AuditEntry> Entries { get; } = entries;

    /// <summary>Gets or sets how many of the records, from the first, were handed to a batch.</summary>
    public int Taken { get; set; }

    /// <summary>Gets or sets how many of the records, from the first, are committed.</summary>
    public int Committed { get; set; }

    /// <summary>Gets a value indicating whether the records are settled (all committed, or refused).</summary>
    public bool IsSettled { get; private set; }

    /// <summary>Gets the exception the owner throws when the records were refused; null once they are all committed.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Gets a task that completes with <see langword="true"/> to make the owner lead, <see langword="false"/> once settled.</summary>
    public Task<bool> Woken => _woken.Task;

    /// <summary>Makes the owner the writer's leader (it wakes and writes the queue).</summary>
    public void Lead() => _woken.TrySetResult(true);

    /// <summary>Settles the records (once): committed when <paramref name="failure"/> is null, refused otherwise.</summary>
    public void Settle(Exception? failure)
    {
        if (IsSettled)
        {
            return;
        }

        IsSettled = true;
        Failure = failure;
        _woken.TrySetResult(false);
    }
}
