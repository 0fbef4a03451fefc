using Hipaa.Auditing;
using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Enforcement;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// For each PHI entity EF Core materializes (entity queries, Include, projections that need the entity, tracking and
/// no-tracking alike): decides the read with the policy engine when enforcement is on — redacting what the actor may not
/// see, or refusing — and records, per query, one read per patient and outcome, committed before the entity is handed
/// back (group commit). No actor → the read fails. Runs after decryption, so redaction also covers decrypted values.
/// </summary>
internal sealed class AuditMaterializationInterceptor : IMaterializationInterceptor
{
    public static AuditMaterializationInterceptor Instance { get; } = new();

    public object InitializedInstance(MaterializationInterceptionData materializationData, object entity)
    {
        var context = materializationData.Context;
        if (HipaaContext.Audit(context) is not { } runtime || runtime.GetModel(materializationData.EntityType) is not { } model)
        {
            return entity;
        }

        var state = AuditReadState.For(context);
        state.Materialized++;
        var patientId = model.PatientId is null ? null : EncryptedEntityModel.FormatValue(materializationData.GetPropertyValue(model.PatientId));
        var access = AuditRuntime.RequireContext($"Reading {model.Name}");

        var outcome = AuditOutcome.Success;
        List<string>? withheld = null;
        AccessDecision? decision = null;
        if (runtime.Enforcement is { } enforcement)
        {
            var author = enforcement.AuthorProperty(model.EntityType) is { } authorProperty
                ? EncryptedEntityModel.FormatValue(materializationData.GetPropertyValue(authorProperty))
                : null;
            decision = enforcement.Decide(context, access, model, patientId, author, PhiAction.Read);
            if (!decision.IsPermitted)
            {
                outcome = AuditOutcome.Denied;
                if (enforcement.DeniedReadsFor(model.Category) == DeniedReadHandling.Redact)
                {
                    withheld = EntityRedactor.Redact(entity, model, visible: null);
                }
            }
            else if (decision.FieldMask is { } mask)
            {
                withheld = EntityRedactor.Redact(entity, model, mask);
            }
        }

        if (state.FirstRead(patientId, model.Name, outcome))
        {
            var record = runtime.NewEntry(access, AuditAction.Read, model.Name, patientId);
            record.Outcome = outcome;
            record.Categories = model.Category;
            record.Labels = string.Join(AuditEntry.ListSeparator, model.Labels);
            record.Fields = string.Join(AuditEntry.ListSeparator, withheld is null ? model.Fields : model.Fields.Except(withheld, StringComparer.Ordinal));
            record.RedactedFields = string.Join(AuditEntry.ListSeparator, withheld ?? []);
            record.QueryFingerprint = state.Fingerprint;
            record.Decision = decision is null ? null : AuditRuntime.Describe(decision);
            runtime.AppendReads(context, [record]);
        }

        if (decision is { IsPermitted: false } && withheld is null)
        {
            throw new PhiAccessDeniedException(decision, $"Reading {model.Category} of patient {patientId}");
        }

        return entity;
    }
}
