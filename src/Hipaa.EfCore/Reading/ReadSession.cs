using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Hipaa.EfCore.Reading;

/// <summary>
/// The read path's state for one <see cref="DbContext"/> instance (a scoped service of EF Core's internal provider, so
/// one per context and reset when a pooled context is returned): the frames of its open data readers, the read records
/// written inside the caller's transaction, and the one access context the context serves (<see cref="Admit"/>).
/// </summary>
internal sealed class ReadSession(IDbContextOptions options) : IResettableService
{
    private readonly List<QueryFrame> _open = [];

    /// <summary>
    /// The context's field encryption, or <see langword="null"/> without <c>AddFieldEncryption</c>: found once per context
    /// here, so that the per-entity read hook resolves one scoped service (this session) rather than three.
    /// </summary>
    public Encryption.FieldEncryptionRuntime? Encryption { get; } = HipaaContext.Encryption(options);

    /// <summary>The context's audit runtime, or <see langword="null"/> without <c>AddQueryAuditing</c> (found once, like <see cref="Encryption"/>).</summary>
    public AuditRuntime? Audit { get; } = HipaaContext.Audit(options);
    private AccessContext? _servedAccess;

    /// <summary>Read records written inside the caller's open transaction (SQLite); re-appended if it rolls back.</summary>
    public List<AuditEntry> WrittenInTransaction { get; } = [];

    /// <summary>
    /// Read records made while a read-ahead batch (<see cref="ReadAuditCommit.PerBatch"/>) is being filled; committed
    /// together by <see cref="FlushAsync"/> before any result of the batch is returned.
    /// </summary>
    public List<AuditEntry> Deferred { get; } = [];

    /// <summary>The patients the aggregates running on this context are pinned to, innermost on top.</summary>
    public Stack<ReadAheadQueryCompiler.PinnedPatients> Pins { get; } = new();

    /// <summary>
    /// The consents policy enforcement loaded for this context, per patient, with the timestamp they were loaded at
    /// (<see cref="Enforcement.PolicyEnforcementRuntime"/>): cleared with the rest of the session when a pooled context is
    /// returned, so the next request on the same instance loads them again, as a new context does.
    /// </summary>
    public Dictionary<string, (IReadOnlyList<Hipaa.Policy.Consent> Consents, long LoadedAt)> Consents { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets or sets how many read-ahead batches are being filled on this context (nested queries count each).</summary>
    public int BatchScopes { get; set; }

    /// <summary>Whether a read record made now waits for the batch's commit instead of being committed at once.</summary>
    public bool Defers(AuditRuntime runtime) => BatchScopes > 0 && runtime.Options.ReadAuditCommit == ReadAuditCommit.PerBatch;

    /// <summary>Commits the deferred records in one group commit (fail closed: throws if the store does not take them).</summary>
    public async ValueTask FlushAsync(DbContext context, AuditRuntime runtime, bool async, CancellationToken cancellationToken)
    {
        if (Deferred.Count == 0)
        {
            return;
        }

        AuditEntry[] records = [.. Deferred];
        Deferred.Clear();
        if (async)
        {
            await runtime.AppendReadsAsync(context, records, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            runtime.AppendReads(context, records);
        }
    }

    /// <summary>Gets how many readers of this context are open.</summary>
    public int OpenReaders => _open.Count;

    /// <summary>
    /// Whether a reader opened after the first <paramref name="from"/> still open ones reads PHI that is recorded
    /// unattributed — a record made only when that reader closes — or whose rows are decided group by group
    /// (<see cref="QueryFrame.DecidedPerGroup"/>), so a stream over it must be read to the end before any of its values is
    /// handed out.
    /// </summary>
    public bool RecordsWhenClosed(int from)
    {
        for (var i = from; i < _open.Count; i++)
        {
            if (_open[i] is { Attributed: false, TablesTouched.Count: > 0 } or { DecidedPerGroup: true })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Gets the frame of the most recently opened reader still open, or <see langword="null"/>.</summary>
    public QueryFrame? Current => _open.Count == 0 ? null : _open[^1];

    public static ReadSession For(DbContext context) => context.GetService<ReadSession>();

    public QueryFrame Begin(Guid commandId, AuditedCommand command, bool attributed, string commandText)
    {
        var frame = new QueryFrame(commandId, command, attributed) { Pin = Pins.TryPeek(out var pin) ? pin : null, CommandText = commandText };
        _open.Add(frame);
        return frame;
    }

    /// <summary>Removes and returns the frame of the command <paramref name="commandId"/>, or <see langword="null"/> when it has none.</summary>
    public QueryFrame? End(Guid commandId)
    {
        for (var i = _open.Count - 1; i >= 0; i--)
        {
            if (_open[i].CommandId == commandId)
            {
                var frame = _open[i];
                _open.RemoveAt(i);
                return frame;
            }
        }

        return null;
    }

    /// <summary>
    /// One actor per context: a context that holds tracked PHI serves the access context that first used it. A PHI access
    /// by anyone else — another user, another purpose, another break-the-glass reason, other roles — while PHI entities
    /// are tracked is refused, because the tracked rows (<c>Find</c>, tracked query hits, <c>Local</c>) would reach them
    /// without a record of their own. With nothing of PHI tracked, the context passes to the new access context.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another access context uses a context holding tracked PHI.</exception>
    public void Admit(DbContext context, AuditRuntime runtime, AccessContext access)
    {
        if (_servedAccess is null || ReferenceEquals(_servedAccess, access) || SameIdentity(_servedAccess, access))
        {
            _servedAccess = access;
            return;
        }

        foreach (var entry in context.ChangeTracker.Entries())
        {
            // Rows added and not yet saved are the application's own new data, not something the context read or stored.
            if (entry.State is not (EntityState.Added or EntityState.Detached) && runtime.GetModel(entry.Metadata) is not null)
            {
                throw new InvalidOperationException(
                    $"This {context.GetType().Name} holds PHI that was read or written for user '{_servedAccess.Actor.Id}' ({_servedAccess.PurposeOfUse.Code}); "
                    + $"user '{access.Actor.Id}' ({access.PurposeOfUse.Code}) may not use it, because the rows it tracks would reach them without an audit record of their own. "
                    + "Use one DbContext per request or per user (AddDbContext's scoped lifetime does this), or call ChangeTracker.Clear() before the context serves someone else.");
            }
        }

        _servedAccess = access;
    }

    public void ResetState()
    {
        _open.Clear();
        WrittenInTransaction.Clear();
        Deferred.Clear();
        Pins.Clear();
        BatchScopes = 0;
        _servedAccess = null;
        lock (Consents)
        {
            Consents.Clear();
        }
    }

    public Task ResetStateAsync(CancellationToken cancellationToken = default)
    {
        ResetState();
        return Task.CompletedTask;
    }

    private static bool SameIdentity(AccessContext a, AccessContext b) =>
        string.Equals(a.Actor.Id, b.Actor.Id, StringComparison.Ordinal)
        && a.PurposeOfUse.Code == b.PurposeOfUse.Code
        && string.Equals(a.BreakGlassReason, b.BreakGlassReason, StringComparison.Ordinal)
        && a.Actor.Roles.SequenceEqual(b.Actor.Roles, StringComparer.Ordinal);
}
