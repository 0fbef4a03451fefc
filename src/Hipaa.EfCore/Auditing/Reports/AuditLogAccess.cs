using Hipaa.Auditing;
using Hipaa.Policy;

namespace Hipaa.EfCore.Auditing.Reports;

/// <summary>
/// The audit record of an access to the audit trail itself (45 CFR 164.312(b): reading or purging the log is activity in a
/// system that holds ePHI): entity <c>hipaa_audit</c>, category <c>AuditLog</c>, attributed to the ambient
/// <see cref="AccessContext"/>, which is required.
/// </summary>
internal static class AuditLogAccess
{
    /// <summary>The entity name of records about the audit trail.</summary>
    public const string Entity = AuditModel.AuditTable;

    /// <summary>Gets the ambient access context, or explains how to provide one.</summary>
    /// <param name="operation">What is being done, e.g. <c>"The who-accessed report"</c>.</param>
    /// <returns>The context.</returns>
    /// <exception cref="InvalidOperationException">No access context is current.</exception>
    public static AccessContext RequireContext(string operation) =>
        AccessContext.Current ?? throw new InvalidOperationException(
            operation + " reads the audit trail, and reading the audit trail is itself audited, but no access context says who is "
            + "asking. Wrap the call in using (AccessContext.Begin(new AccessContext(actor, PurposeOfUse.Oversight))) or, for a tool "
            + "or a scheduled job, AccessContext.ForSystem(\"job-name\", PurposeOfUse.Oversight).");

    /// <summary>Builds the record (unsealed) of an access to the audit trail.</summary>
    /// <param name="context">Who is asking.</param>
    /// <param name="action">What is done: <see cref="AuditAction.Read"/>, <see cref="AuditAction.Export"/>, <see cref="AuditAction.Delete"/>.</param>
    /// <param name="patientId">The patient the report is about, if any.</param>
    /// <param name="description">What was asked, without PHI values (e.g. the report and its time window).</param>
    /// <param name="rowCount">The number of audit records returned, exported or deleted.</param>
    /// <param name="now">The time of the access.</param>
    /// <returns>The row to append.</returns>
    public static AuditEntry CreateEntry(AccessContext context, AuditAction action, string? patientId, string description, int rowCount, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(context);
        return AuditEntry.From(new AuditRecord
        {
            RecordId = Guid.CreateVersion7(now),
            OccurredAt = now,
            ActorId = context.Actor.Id!,
            ActorRoles = context.Actor.Roles,
            ClientApplication = context.ClientApplication,
            PatientId = patientId,
            Action = action,
            Entity = Entity,
            Categories = [DataCategory.AuditLog.Name],
            PurposeOfUse = context.PurposeOfUse.Code,
            Outcome = AuditOutcome.Success,
            ClientAddress = context.ClientAddress,
            RequestId = context.RequestId,
            BreakGlassReason = context.BreakGlassReason,
            Description = description,
            RowCount = rowCount,
        });
    }
}
