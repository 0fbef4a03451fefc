using Hipaa.Auditing;
using Hipaa.EfCore.Enforcement;
using Hipaa.EfCore.Reading;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// For each PHI entity a query materializes (entity queries, Include, projections that need the entity, tracking and
/// no-tracking alike): decides the read with the policy engine when enforcement is on — redacting what the actor may not
/// see, or refusing — and records, per query, one read per patient and outcome, committed before the entity is handed
/// back (group commit). No actor → the read fails. Runs after decryption, so redaction also covers decrypted values.
/// </summary>
internal static class AuditedRead
{
    /// <summary>Decides, redacts and records one materialized entity; <paramref name="session"/> is the context's (<see cref="ReadSession.For"/>).</summary>
    public static void Record(AuditRuntime runtime, DbContext context, ReadSession session, PhiEntityModel model, object entity, string? patientId, string? authorId)
    {
        var frame = session.Current;

        var access = AuditRuntime.RequireContext($"Reading {model.Name}");
        session.Admit(context, runtime, access);

        var outcome = AuditOutcome.Success;
        List<string>? withheld = null;
        AccessDecision? decision = null;
        if (runtime.Enforcement is { } enforcement)
        {
            decision = enforcement.Decide(context, access, model, patientId, authorId, PhiAction.Read);
            if (!decision.IsPermitted)
            {
                outcome = AuditOutcome.Denied;
                if (enforcement.DeniedReadsFor(model.Category) == DeniedReadHandling.Redact && MayRedact(access, patientId) && !HidesOwnedValues(model, visible: null))
                {
                    withheld = EntityRedactor.Redact(entity, model, visible: null);
                }
            }
            else if (decision.FieldMask is { } mask)
            {
                if (HidesOwnedValues(model, mask))
                {
                    outcome = AuditOutcome.Denied; // refused below: the owned values outside the mask cannot be redacted
                }
                else
                {
                    withheld = EntityRedactor.Redact(entity, model, mask);
                }
            }
        }

        // A refused read throws before the query completes, so its record cannot wait for the query's or the batch's commit
        // (the failure drops the read-ahead batch it would have waited for).
        var refusal = outcome == AuditOutcome.Denied && withheld is null ? decision : null;
        if (frame is null || frame.FirstRead(patientId, model.Name, outcome))
        {
            var record = runtime.NewEntry(access, AuditAction.Read, model.Name, patientId);
            record.Outcome = outcome;
            record.Categories = model.Category;
            record.Labels = model.LabelList;
            record.Fields = withheld is null ? model.FieldList : string.Join(AuditEntry.ListSeparator, model.Fields.Except(withheld, StringComparer.Ordinal));
            record.RedactedFields = withheld is null ? string.Empty : string.Join(AuditEntry.ListSeparator, withheld);
            record.QueryFingerprint = frame?.Fingerprint;
            record.Decision = decision is null ? null : AuditRuntime.Describe(decision);
            if (refusal is not null)
            {
                runtime.AppendReads(context, [record]);
            }
            else if (frame is not null && runtime.Options.ReadAuditCommit == ReadAuditCommit.PerQuery)
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

        if (refusal is not null)
        {
            throw new PhiAccessDeniedException(refusal, $"Reading {model.Category} of patient {patientId}");
        }
    }

    /// <summary>
    /// Whether redacting the row would leave values of an owned type the actor may not see (red team 3, hole 1): EF Core
    /// materializes an owned entity and sets its navigation after the owner's read hook has run, so the redactor cannot
    /// reach it. Such a row is refused rather than returned with its owned values (an address, a comment) in full.
    /// </summary>
    private static bool HidesOwnedValues(PhiEntityModel model, FieldMask? visible)
    {
        foreach (var navigation in model.EntityType.GetNavigations())
        {
            if (navigation.ForeignKey.IsOwnership && navigation.TargetEntityType.IsOwned() && !navigation.IsOnDependent
                && (visible is null || !visible.IsVisible(navigation.Name)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether a denied row may come back redacted: only inside the access context's patient scope, when it has one. A
    /// redacted row of any other patient would confirm that the patient's record exists, so the read is refused instead.
    /// </summary>
    private static bool MayRedact(AccessContext access, string? patientId)
    {
        if (access.PatientScope is not { } scope)
        {
            return true;
        }

        foreach (var scoped in scope)
        {
            if (patientId is not null && IsSamePatient(scoped, patientId))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether a scope's patient id names the row's patient: the same text, as the policy's care team compares it
    /// (<see cref="Actor.IsOnCareTeamOf"/>, ordinal), or the same GUID however its text is cased (a route may carry
    /// one upper-case; the row's is formatted lower-case). Ignoring case for any other id let the scope "mrn-a" admit a
    /// redacted row of "MRN-A", another patient to the policy.
    /// </summary>
    private static bool IsSamePatient(string scoped, string patientId) =>
        string.Equals(scoped, patientId, StringComparison.Ordinal)
        || (Guid.TryParse(scoped, out var scopedGuid) && Guid.TryParse(patientId, out var rowGuid) && scopedGuid == rowGuid);
}
