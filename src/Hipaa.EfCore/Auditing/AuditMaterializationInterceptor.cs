using Hipaa.Auditing;
using Hipaa.EfCore.Encryption;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// Records, per query, one read per patient whose PHI entity EF Core materializes — entity queries, Include, projections
/// that need the entity, tracking and no-tracking alike — and does not hand the entity back before the record is
/// committed (group commit). No actor → the read fails.
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
        if (state.FirstRead(patientId, model.Name))
        {
            var access = AuditRuntime.RequireContext($"Reading {model.Name}");
            var record = runtime.NewEntry(access, AuditAction.Read, model.Name, patientId);
            record.Categories = model.Category;
            record.Labels = string.Join(AuditEntry.ListSeparator, model.Labels);
            record.Fields = string.Join(AuditEntry.ListSeparator, model.Fields);
            record.QueryFingerprint = state.Fingerprint;
            runtime.AppendReads(context, [record]);
        }

        return entity;
    }
}
