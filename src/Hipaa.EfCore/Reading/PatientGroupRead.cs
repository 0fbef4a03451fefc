using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Enforcement;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Reading;

/// <summary>
/// For each row of a query grouped by patient (<see cref="PatientGrouping"/>), before the row leaves EF Core: decides the
/// read for the group's patient when policy enforcement is on and records, per query, one read per patient — as the read
/// hook does for an entity (<see cref="AuditedRead"/>), committed the same way. The row's values were computed in SQL, so
/// they can be neither redacted nor masked: a read the policy denies, or permits with a mask over a field the command
/// names, is refused (recorded as denied, then <see cref="PhiAccessDeniedException"/>), whatever
/// <see cref="DeniedReadHandling"/> says. Under enforcement the query is then read to its end before its first row is
/// handed out (<see cref="QueryFrame.DecidedPerGroup"/>), so a refusal of any group returns no row at all.
/// </summary>
internal static class PatientGroupRead
{
    public static void Record(DbContext context, Type entity, object? patientIdValue, string fields)
    {
        var runtime = HipaaContext.Audit(context)
            ?? throw new InvalidOperationException("A query grouped by patient ran on a context without query auditing; it was compiled for one with it. Use one DbContext options instance per context type.");
        var model = context.Model.FindEntityType(entity) is { } entityType ? runtime.GetModel(entityType) : null;
        if (model is null)
        {
            throw new InvalidOperationException($"A query grouped by patient over {entity.Name} ran on a context whose model does not mark {entity.Name} as PHI; it was compiled for one that does.");
        }

        var session = ReadSession.For(context);
        var frame = session.Current;
        var access = AuditRuntime.RequireContext($"Reading {model.Name}");
        session.Admit(context, runtime, access);

        var patientId = patientIdValue is null ? null : EncryptedEntityModel.FormatValue(patientIdValue);
        if (frame is not null && !frame.FirstRead(patientId, model.Name, AuditOutcome.Success))
        {
            return; // this patient's group (or another group of the same patient) was decided and recorded for this query
        }

        AccessDecision? decision = null;
        if (runtime.Enforcement is { } enforcement)
        {
            if (frame is not null)
            {
                frame.DecidedPerGroup = true;
            }

            // Throws after recording the refusal; without the command's text (a reader EF Core buffered and closed
            // before shaping its rows), every masked field counts as named.
            decision = UnattributedReadPolicy.EnforceForPatient(context, runtime, enforcement, access, frame?.Command, model, patientId, frame?.CommandText ?? "*");
        }

        var record = runtime.NewEntry(access, AuditAction.Read, model.Name, patientId);
        record.Categories = model.Category;
        record.Labels = model.LabelList;
        record.Fields = fields;
        record.QueryFingerprint = frame?.Fingerprint;
        record.Decision = decision is null ? null : AuditRuntime.Describe(decision);
        if (frame is not null && runtime.Options.ReadAuditCommit == ReadAuditCommit.PerQuery)
        {
            frame.Pending.Add(record); // committed with the rest of the query's records when its reader closes
        }
        else if (session.Defers(runtime))
        {
            session.Deferred.Add(record); // committed with the read-ahead batch, before any of its results is returned
        }
        else
        {
            runtime.AppendReads(context, [record]);
        }
    }
}
