using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.Policy;

namespace Hipaa.EfCore.Enforcement;

/// <summary>
/// Decides, under policy enforcement, the writes that do not go through <c>SaveChanges</c>: <c>ExecuteUpdate</c>,
/// <c>ExecuteDelete</c>, <c>ExecuteSql</c> and writes through a query API. The PHI tables such a statement only reads (a
/// subquery, a join, values copied into another table) are decided as a read whose values SQL computes
/// (<see cref="UnattributedReadPolicy"/>); the PHI tables it writes are decided for each patient whose rows it changed
/// when <c>RETURNING</c> gives them (before its changes commit; a refusal rolls them back), and otherwise before it runs,
/// for a patient the actor has no relationship with. A refusal is recorded as denied and committed, and throws
/// <see cref="PhiAccessDeniedException"/>.
/// </summary>
internal static class BulkWritePolicy
{
    /// <summary>
    /// Before the statement runs: decides what it reads without writing and, unless <paramref name="perPatientAfter"/>
    /// (its patients come from <c>RETURNING</c>, decided by <see cref="DenialOf"/>), what it writes.
    /// </summary>
    public static void EnforceBefore(RawSqlAudit bulk, string sql, bool perPatientAfter)
    {
        if (bulk.Runtime.Enforcement is not { } enforcement)
        {
            return;
        }

        var command = bulk.Command;
        var readOnly = command.Touched.Where(t => !command.Written.Contains(t)).ToList();
        if (readOnly.Count > 0)
        {
            UnattributedReadPolicy.EnforceForAnyPatient(
                bulk.Context, bulk.Runtime, enforcement, bulk.Access, command, UnattributedReadPolicy.Deciding(readOnly, command.TouchedModels, sql), sql);
        }

        if (perPatientAfter)
        {
            return;
        }

        foreach (var model in UnattributedReadPolicy.Deciding(command.Written, command.TouchedModels, sql))
        {
            foreach (var action in Actions(bulk.Action))
            {
                var decision = UnattributedReadPolicy.ForAnyPatient(enforcement, bulk.Access, model, action);
                if (!decision.IsPermitted && enforcement.UnattributedReads == UnattributedReadHandling.RequireRolePermit)
                {
                    decision = UnattributedReadPolicy.ForSomePatient(enforcement, bulk.Access, model, action);
                }

                if (!decision.IsPermitted)
                {
                    var record = Denied(bulk, model, patientId: null, decision);
                    bulk.Runtime.AppendReads(bulk.Context, [record]);
                    throw Refusal(decision, model, patientId: null, "it was not run");
                }
            }
        }
    }

    /// <summary>
    /// After a statement with <c>RETURNING</c> ran, before its changes commit: the first refusal among the patients whose
    /// rows it changed (each PHI entity type of the target table whose columns it names is decided for each), with the
    /// denied records to commit once the changes are rolled back; <see langword="null"/> when every decision permits.
    /// </summary>
    public static (PhiAccessDeniedException Refusal, List<AuditEntry> Records)? DenialOf(RawSqlAudit bulk, string sql, IEnumerable<string?> patientIds)
    {
        if (bulk.Runtime.Enforcement is not { } enforcement)
        {
            return null;
        }

        var models = UnattributedReadPolicy.Deciding(bulk.Command.Written, bulk.Command.TouchedModels, sql);
        PhiAccessDeniedException? refusal = null;
        var records = new List<AuditEntry>();
        foreach (var patientId in patientIds)
        {
            foreach (var model in models)
            {
                foreach (var action in Actions(bulk.Action))
                {
                    var decision = patientId is null
                        ? UnattributedReadPolicy.ForAnyPatient(enforcement, bulk.Access, model, action)
                        : enforcement.Decide(bulk.Context, bulk.Access, model, patientId, authorId: null, action);
                    if (!decision.IsPermitted)
                    {
                        records.Add(Denied(bulk, model, patientId, decision));
                        refusal ??= Refusal(decision, model, patientId, "what it changed was rolled back");
                        break;
                    }
                }
            }
        }

        return refusal is null ? null : (refusal, records);
    }

    /// <summary>The actions a statement's audit action stands for: a statement whose effect is not known may do any write.</summary>
    private static PhiAction[] Actions(AuditAction action) => action switch
    {
        AuditAction.Create => [PhiAction.Create],
        AuditAction.Update => [PhiAction.Update],
        AuditAction.Delete => [PhiAction.Delete],
        _ => [PhiAction.Create, PhiAction.Update, PhiAction.Delete],
    };

    private static AuditEntry Denied(RawSqlAudit bulk, PhiEntityModel model, string? patientId, AccessDecision decision)
    {
        var record = patientId is null ? bulk.Unattributed(0) : bulk.ForPatient(model, patientId, 0);
        record.Categories = model.Category;
        record.Labels = model.LabelList;
        record.Outcome = AuditOutcome.Denied;
        record.Decision = AuditRuntime.Describe(decision);
        return record;
    }

    private static PhiAccessDeniedException Refusal(AccessDecision decision, PhiEntityModel model, string? patientId, string outcome) =>
        new(decision, $"A bulk or raw SQL write of {model.Category} {(patientId is null ? "of any patient" : "of patient " + patientId)} (ExecuteUpdate, ExecuteDelete, ExecuteSql or a write through a query API; {outcome})");
}
