using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing.Sql;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;

namespace Hipaa.EfCore.Auditing;

/// <summary>Access auditing for one application: options, clock, the group-commit writer and per-entity metadata.</summary>
internal sealed partial class AuditRuntime : IDisposable
{
    private readonly ConcurrentDictionary<IModel, PhiTableSet> _phiTables = new();
    private readonly ConcurrentDictionary<IModel, ConditionalWeakTable<string, AuditedCommand>> _commands = new();
    private readonly ILogger _logger;

    public AuditRuntime(
        QueryAuditingOptions options,
        DbContextOptions<AuditDbContext> storeOptions,
        AuditWriter writer,
        TimeProvider time,
        ILogger logger,
        Enforcement.PolicyEnforcementRuntime? enforcement = null,
        AuditSealingLoop? sealing = null)
    {
        StoreOptions = storeOptions;
        Enforcement = enforcement;
        Sealing = sealing;
        Options = options;
        Writer = writer;
        Time = time;
        _logger = logger;
    }

    public QueryAuditingOptions Options { get; }

    /// <summary>Gets the options of the audit store's own context.</summary>
    public DbContextOptions<AuditDbContext> StoreOptions { get; }

    /// <summary>Gets the background sealing of the hash chain.</summary>
    public AuditSealingLoop? Sealing { get; }

    /// <summary>Gets policy enforcement, when <c>AddPolicyEnforcement</c> registered it.</summary>
    public Enforcement.PolicyEnforcementRuntime? Enforcement { get; }

    /// <summary>How a decision is recorded: "rule-id; obligations" (no PHI).</summary>
    public static string Describe(Hipaa.Policy.AccessDecision decision) =>
        decision.Obligations.Count == 0
            ? $"{decision.Outcome} {decision.Rule.Id}"
            : $"{decision.Outcome} {decision.Rule.Id}; obligations: {string.Join(",", decision.Obligations)}";

    public AuditWriter Writer { get; }

    public TimeProvider Time { get; }

    public PhiEntityModel? GetModel(IEntityType entityType) => HipaaAnnotations.PhiModel(entityType);

    /// <summary>
    /// The PHI entity types whose tables a SQL command may touch, found in its tokenized text (quoted or unquoted, any
    /// case, schema-qualified; not inside literals or comments) — every PHI table when the text cannot be read.
    /// </summary>
    public IReadOnlyList<PhiEntityModel> TablesIn(DbContext context, string sql) => DescribeCommand(context, sql).Touched;

    /// <summary>
    /// What a command text does to PHI (<see cref="AuditedCommand"/>: fingerprint, action, PHI tables, RETURNING
    /// variant), computed once per text instance: EF Core reuses the command text of a cached query, so a repeated query
    /// costs a lookup instead of a SHA-256 and a parse of the text. Keyed by the string instance (weakly): an equal text in
    /// another instance is computed again, with the same result.
    /// </summary>
    public AuditedCommand DescribeCommand(DbContext context, string sql)
    {
        var model = context.Model;
        var commands = _commands.GetOrAdd(model, static _ => new ConditionalWeakTable<string, AuditedCommand>());
        if (commands.TryGetValue(sql, out var known))
        {
            return known;
        }

        var tables = _phiTables.GetOrAdd(model, m => new PhiTableSet(
            [
                .. m.GetEntityTypes().Select(GetModel).OfType<PhiEntityModel>().SelectMany(p => (IEnumerable<PhiEntityModel>)[p, .. PhiEntityModel.OtherTables(p)]),
                .. m.GetEntityTypes().Where(t => t.ClrType == typeof(AuditEntry) || t.ClrType == typeof(AuditCheckpointEntry) || t.ClrType == typeof(AuditPatientEntry)).Select(PhiEntityModel.ForAuditTable),
            ],
            Storage.Dialects.DatabaseDialect.Find(context)));
        var described = tables.Describe(context, sql);
        return commands.GetValue(sql, _ => described);
    }

    /// <summary>The access context of this flow; a PHI access without one fails (unless the host declared a system actor).</summary>
    public static AccessContext RequireContext(string what) =>
        AccessContext.Current ?? throw new InvalidOperationException(
            $"{what} touches PHI, but no access context says who is asking. In ASP.NET Core call app.UseHipaaAccessContext(); elsewhere wrap the work in using (AccessContext.Begin(new AccessContext(actor, purpose))) or, for work no person asked for, AccessContext.ForSystem(\"job-name\", purpose).");

    public AuditEntry NewEntry(AccessContext context, AuditAction action, string entity, string? patientId)
    {
        var now = Time.GetUtcNow().ToUniversalTime(); // stored in UTC (verify checks the SQLite text form); one reading for the record id's timestamp and the record's time
        return new AuditEntry
        {
            RecordId = Guid.CreateVersion7(now),
            OccurredAt = now,
            ActorId = context.Actor.Id!,
            ActorRoles = string.Join(AuditEntry.ListSeparator, context.Actor.Roles),
            ClientApplication = context.ClientApplication ?? Options.ClientApplication,
            PatientId = patientId,
            Action = action,
            Entity = entity,
            PurposeOfUse = context.PurposeOfUse.Code,
            ClientAddress = context.ClientAddress,
            RequestId = context.RequestId,
            BreakGlassReason = context.BreakGlassReason,
            Outcome = AuditOutcome.Success,
        };
    }

    public static string Fingerprint(string sql) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));

    /// <summary>
    /// Writes read records and waits until they are committed; fails closed unless the dangerous option is on. On SQLite,
    /// inside the caller's own transaction, the records go into that transaction (a second connection could not write
    /// while it holds the database's write lock) and are appended again should it roll back.
    /// </summary>
    public void AppendReads(DbContext context, IReadOnlyList<AuditEntry> entries) =>
        AppendReadsAsync(context, entries, async: false, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>The asynchronous twin of <see cref="AppendReads"/>: waits for the commit without blocking a thread.</summary>
    public Task AppendReadsAsync(DbContext context, IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken) =>
        AppendReadsAsync(context, entries, async: true, cancellationToken);

    private async Task AppendReadsAsync(DbContext context, IReadOnlyList<AuditEntry> entries, bool async, CancellationToken cancellationToken)
    {
        entries = ReadRecordCombiner.Combine(entries);
        try
        {
            if (context.Database.CurrentTransaction is { } transaction && Storage.Dialects.DatabaseDialect.Find(context) is { HasDatabaseWriteLock: true })
            {
                var connection = context.Database.GetDbConnection();
                await AuditSqlInserter.InsertAsync(context, connection, transaction.GetDbTransaction(), entries, async, cancellationToken).ConfigureAwait(false);
                Reading.ReadSession.For(context).WrittenInTransaction.AddRange(entries);
                return;
            }

            if (async)
            {
                await Writer.AppendAsync(entries).ConfigureAwait(false);
            }
            else
            {
                Writer.Append(entries);
            }
        }
        catch (Exception failure) when (failure is not AuditUnavailableException and System.Data.Common.DbException)
        {
            throw new AuditUnavailableException($"The audit record of a read could not be written in the current transaction ({failure.Message}); the read was refused.", failure);
        }
        catch (AuditUnavailableException failure) when (Options.DangerouslyReturnUnauditedReadsWhenAuditStoreIsDown)
        {
            LogUnauditedRead(_logger, entries.Count, failure);
        }
    }

    /// <summary>After the caller's transaction ended without a commit, appends its read records again through the writer.</summary>
    public void ReappendRolledBackReads(DbContext context) => ReappendRolledBackReads(Reading.ReadSession.For(context));

    /// <summary>
    /// After the application's own transaction (<c>UseTransaction</c>) ended — committed or rolled back, EF Core cannot
    /// tell — appends again the read records written in it that the store does not hold.
    /// </summary>
    public void ReappendReadsNotStored(Reading.ReadSession state)
    {
        if (state.WrittenInTransaction.Count == 0)
        {
            return;
        }

        var ids = state.WrittenInTransaction.Select(e => e.RecordId).ToList();
        using var store = new AuditDbContext(StoreOptions);
        var stored = store.Entries.AsNoTracking().Where(e => ids.Contains(e.RecordId)).Select(e => e.RecordId).ToHashSet();
        state.WrittenInTransaction.RemoveAll(e => stored.Contains(e.RecordId));
        ReappendRolledBackReads(state);
    }

    /// <summary>After the caller's transaction ended without a commit, appends its read records again through the writer.</summary>
    public void ReappendRolledBackReads(Reading.ReadSession state)
    {
        if (state.WrittenInTransaction.Count == 0)
        {
            return;
        }

        var again = state.WrittenInTransaction.Select(e =>
        {
            e.Id = 0;
            return e;
        }).ToList();
        state.WrittenInTransaction.Clear();
        Writer.Append(again);
    }

    public void Dispose()
    {
        Writer.Dispose();
        Sealing?.Dispose();
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Critical, Message = "{Count} PHI read record(s) could not be stored and the reads were returned UNAUDITED, because DangerouslyReturnUnauditedReadsWhenAuditStoreIsDown is on.")]
    private static partial void LogUnauditedRead(ILogger logger, int count, Exception exception);
}
