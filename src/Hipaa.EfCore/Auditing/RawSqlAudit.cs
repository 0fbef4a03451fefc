using Hipaa.Auditing;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// A bulk or raw SQL command that is executed together with its audit records: the context it runs in, what it does to
/// PHI (<see cref="AuditedCommand"/>) and who asked. Builds the records; the caller inserts them in the command's
/// transaction.
/// </summary>
internal sealed class RawSqlAudit
{
    public RawSqlAudit(DbContext context, AuditRuntime runtime, AuditedCommand command, AccessContext access)
    {
        Context = context;
        Runtime = runtime;
        Command = command;
        Access = access;
    }

    public DbContext Context { get; }

    public AuditRuntime Runtime { get; }

    public AuditedCommand Command { get; }

    public AccessContext Access { get; }

    /// <summary>Gets the action recorded: what the command does; a read run for its side effects (<c>ExecuteSql</c>) is <c>Execute</c>.</summary>
    public AuditAction Action => Command.Action is { } action && action != AuditAction.Read ? action : AuditAction.Execute;

    /// <summary>Whether the command's records are written: it changed rows, or it is an <c>Execute</c> whose effect is not known.</summary>
    public bool ShouldRecord(int rows) => rows > 0 || Action == AuditAction.Execute;

    /// <summary>The record of one patient's rows of the target table.</summary>
    public AuditEntry ForPatient(PhiEntityModel target, string? patientId, int rows) => New(target.Name, patientId, [target], rows);

    /// <summary>One record of the whole command, without a patient, naming every PHI table it may touch.</summary>
    public AuditEntry Unattributed(int rows) => New(string.Join(",", Command.Touched.Select(t => t.Name)), null, Command.Touched, rows);

    private AuditEntry New(string entity, string? patientId, IReadOnlyList<PhiEntityModel> tables, int rows)
    {
        var record = Runtime.NewEntry(Access, Action, entity, patientId);
        record.Categories = string.Join(AuditEntry.ListSeparator, tables.Select(t => t.Category).Distinct(StringComparer.Ordinal));
        record.Labels = string.Join(AuditEntry.ListSeparator, tables.SelectMany(t => t.Labels).Distinct(StringComparer.Ordinal));
        record.QueryFingerprint = Command.Fingerprint;
        record.RowCount = rows;
        return record;
    }
}
