using System.Data.Common;
using Hipaa.EfCore;
using Hipaa.EfCore.Auditing;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hipaa.Auditing;

/// <summary>
/// Records an access to PHI that the application makes with raw ADO.NET on <c>context.Database.GetDbConnection()</c>,
/// which EF Core's interception — and so the SDK — never sees. Call it <b>before</b> the command runs (docs/audit.md,
/// "Raw ADO.NET").
/// </summary>
public static class RawPhiAccessExtensions
{
    /// <summary>
    /// Decides (with <c>AddPolicyEnforcement()</c>) and records, for the ambient <see cref="AccessContext"/>, one access of
    /// <paramref name="action"/> to <typeparamref name="TEntity"/> per patient, with the fingerprint of
    /// <paramref name="commandText"/>. A <see cref="AuditAction.Read"/> is recorded like an EF Core read and committed
    /// before this method returns. A write (<see cref="AuditAction.Create"/>, <see cref="AuditAction.Update"/>,
    /// <see cref="AuditAction.Delete"/>) needs the context's transaction (<c>context.Database.BeginTransaction()</c>, the
    /// raw command enlisted with <c>command.Transaction = context.Database.CurrentTransaction.GetDbTransaction()</c>): its
    /// records are inserted in that transaction and commit or roll back with the write.
    /// </summary>
    /// <typeparam name="TEntity">The <see cref="PhiAttribute"/> entity type of this context whose table the command uses.</typeparam>
    /// <param name="context">A context configured with <c>UseHipaa(sp)</c> and <c>AddQueryAuditing()</c>.</param>
    /// <param name="action">Read, Create, Update or Delete.</param>
    /// <param name="patientIds">The patients whose rows the command touches; empty for an unattributed record.</param>
    /// <param name="commandText">The command's text (only its SHA-256 fingerprint is recorded, never the text or its parameters).</param>
    /// <param name="cancellationToken">Stops waiting for the audit store (the records may still be written).</param>
    /// <returns>A task that completes once the records are stored (or, for a write, inserted in the transaction).</returns>
    /// <exception cref="InvalidOperationException">The context has no auditing, no access context is set, or a write has no transaction.</exception>
    /// <exception cref="ArgumentException"><typeparamref name="TEntity"/> is not a PHI entity of the context, or the action is not one of the four.</exception>
    /// <exception cref="PhiAccessDeniedException">Policy denied the access (the denial is recorded); do not run the command.</exception>
    /// <exception cref="AuditUnavailableException">The records could not be stored; do not run the command.</exception>
    public static async Task RecordRawPhiAccessAsync<TEntity>(
        this DbContext context,
        AuditAction action,
        IReadOnlyCollection<string> patientIds,
        string commandText,
        CancellationToken cancellationToken = default)
        where TEntity : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(patientIds);
        ArgumentException.ThrowIfNullOrWhiteSpace(commandText);
        var phiAction = action switch
        {
            AuditAction.Read => PhiAction.Read,
            AuditAction.Create => PhiAction.Create,
            AuditAction.Update => PhiAction.Update,
            AuditAction.Delete => PhiAction.Delete,
            _ => throw new ArgumentException($"A raw command is recorded as Read, Create, Update or Delete, not {action}; disclosures go through PhiDisclosures.", nameof(action)),
        };
        var runtime = HipaaContext.Audit(context) ?? throw new InvalidOperationException(
            $"{context.GetType().Name} has no access auditing: configure it with UseHipaa(sp) after services.AddHipaa().AddQueryAuditing().UseAuditStore(...).");
        var model = (context.Model.FindEntityType(typeof(TEntity)) is { } entityType ? runtime.GetModel(entityType) : null)
            ?? throw new ArgumentException($"{typeof(TEntity).Name} is not a [Phi] entity type of {context.GetType().Name}.", nameof(TEntity));
        var transaction = context.Database.CurrentTransaction;
        if (action != AuditAction.Read && transaction is null)
        {
            throw new InvalidOperationException(
                "A raw write of PHI is recorded in the transaction that makes it: begin one with context.Database.BeginTransactionAsync(), enlist the command in it and commit it after the command.");
        }

        var access = AuditRuntime.RequireContext("A raw ADO.NET command");
        var fingerprint = AuditRuntime.Fingerprint(commandText);
        var entries = new List<AuditEntry>();
        IEnumerable<string?> patients = patientIds.Count == 0 ? [null] : patientIds.Distinct(StringComparer.Ordinal).Cast<string?>();
        foreach (var patientId in patients)
        {
            var decision = runtime.Enforcement?.Decide(context, access, model, patientId, authorId: null, phiAction);
            var entry = NewEntry(runtime, access, action, model, patientId, fingerprint, decision);
            if (decision is { IsPermitted: false })
            {
                entry.Outcome = AuditOutcome.Denied;
                await runtime.Writer.AppendAsync([entry]).WaitAsync(cancellationToken).ConfigureAwait(false);
                throw new PhiAccessDeniedException(decision, $"{action} of {model.Category} for patient {patientId}");
            }

            entries.Add(entry);
        }

        if (action == AuditAction.Read)
        {
            if (transaction is null)
            {
                await runtime.Writer.AppendAsync(entries).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                runtime.AppendReads(context, entries); // as EF Core's reads: in the transaction on SQLite, re-appended if it rolls back
            }

            return;
        }

        try
        {
            await AuditSqlInserter.InsertAsync(context, context.Database.GetDbConnection(), transaction!.GetDbTransaction(), entries, async: true, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException failure)
        {
            throw new AuditUnavailableException($"The audit records of a raw command could not be written in the current transaction ({failure.Message}); do not run the command, and roll the transaction back.", failure);
        }
    }

    private static AuditEntry NewEntry(AuditRuntime runtime, AccessContext access, AuditAction action, PhiEntityModel model, string? patientId, string fingerprint, AccessDecision? decision)
    {
        var entry = runtime.NewEntry(access, action, model.Name, patientId);
        entry.Categories = model.Category;
        entry.Labels = model.LabelList;
        entry.Fields = action == AuditAction.Delete ? string.Empty : model.FieldList;
        entry.QueryFingerprint = fingerprint;
        entry.Description = "raw ADO.NET command";
        entry.Decision = decision is null ? null : AuditRuntime.Describe(decision);
        return entry;
    }
}
