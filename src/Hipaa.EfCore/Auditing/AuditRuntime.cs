using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Hipaa.Auditing;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.Logging;

namespace Hipaa.EfCore.Auditing;

/// <summary>Access auditing for one application: options, clock, the group-commit writer and per-entity metadata.</summary>
internal sealed partial class AuditRuntime : IDisposable
{
    private readonly ConcurrentDictionary<IEntityType, PhiEntityModel?> _models = new();
    private readonly ConcurrentDictionary<IModel, (string Quoted, PhiEntityModel Model)[]> _phiTables = new();
    private readonly ILogger _logger;

    public AuditRuntime(QueryAuditingOptions options, AuditWriter writer, TimeProvider time, ILogger logger)
    {
        Options = options;
        Writer = writer;
        Time = time;
        _logger = logger;
    }

    public QueryAuditingOptions Options { get; }

    public AuditWriter Writer { get; }

    public TimeProvider Time { get; }

    public PhiEntityModel? GetModel(IEntityType entityType) => _models.GetOrAdd(entityType, PhiEntityModel.Create);

    /// <summary>The PHI entity types whose (quoted) table a SQL command names: how a command is known to touch PHI.</summary>
    public IReadOnlyList<PhiEntityModel> TablesIn(IModel model, string sql)
    {
        var tables = _phiTables.GetOrAdd(model, m =>
            [.. m.GetEntityTypes().Select(GetModel).OfType<PhiEntityModel>().Select(p => ("\"" + p.Table + "\"", p))]);
        List<PhiEntityModel>? touched = null;
        foreach (var (quoted, phi) in tables)
        {
            if (sql.Contains(quoted, StringComparison.Ordinal) && !(touched ??= []).Exists(t => t.Table == phi.Table))
            {
                touched.Add(phi);
            }
        }

        return touched ?? (IReadOnlyList<PhiEntityModel>)[];
    }

    /// <summary>The access context of this flow; a PHI access without one fails (unless the host declared a system actor).</summary>
    public static AccessContext RequireContext(string what) =>
        AccessContext.Current ?? throw new InvalidOperationException(
            $"{what} touches PHI, but no access context says who is asking. In ASP.NET Core call app.UseHipaaAccessContext(); elsewhere wrap the work in using (AccessContext.Begin(new AccessContext(actor, purpose))) or, for work no person asked for, AccessContext.ForSystem(\"job-name\", purpose).");

    public AuditEntry NewEntry(AccessContext context, AuditAction action, string entity, string? patientId) => new()
    {
        RecordId = Guid.CreateVersion7(Time.GetUtcNow()),
        OccurredAt = Time.GetUtcNow(),
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

    public static string Fingerprint(string sql) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));

    /// <summary>Writes read records and waits until they are committed; fails closed unless the dangerous option is on.</summary>
    public void AppendReads(IReadOnlyList<AuditEntry> entries)
    {
        try
        {
            Writer.Append(entries);
        }
        catch (AuditUnavailableException failure) when (Options.DangerouslyReturnUnauditedReadsWhenAuditStoreIsDown)
        {
            LogUnauditedRead(_logger, entries.Count, failure);
        }
    }

    public void Dispose() => Writer.Dispose();

    [LoggerMessage(EventId = 2101, Level = LogLevel.Critical, Message = "{Count} PHI read record(s) could not be stored and the reads were returned UNAUDITED, because DangerouslyReturnUnauditedReadsWhenAuditStoreIsDown is on.")]
    private static partial void LogUnauditedRead(ILogger logger, int count, Exception exception);
}
