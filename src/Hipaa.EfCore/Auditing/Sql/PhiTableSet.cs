using Hipaa.Auditing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hipaa.EfCore.Auditing.Sql;

/// <summary>
/// The PHI tables of one EF Core model (table names and schemas of the entity types marked <see cref="PhiAttribute"/>)
/// and how a SQL command text relates to them: which it may touch, what it does, and whether the patients it writes can
/// be had by adding <c>RETURNING</c>. The raw SQL rules of docs/audit.md.
/// </summary>
internal sealed class PhiTableSet
{
    private bool? _supportsReturning;

    public PhiTableSet(IReadOnlyList<PhiEntityModel> tables, Storage.Dialects.DatabaseDialect? database)
        : this(tables, database?.Lexer ?? SqlDialect.Other)
    {
        Database = database;
    }

    public PhiTableSet(IReadOnlyList<PhiEntityModel> tables, SqlDialect dialect)
    {
        // Entity types sharing a table (inheritance, table splitting) are one table; each of them is kept for the
        // decisions of reads over it (their categories differ: appointments and progress notes in one table).
        All = [.. tables.DistinctBy(t => (t.Schema, t.Table))];
        _byTable = tables.GroupBy(t => (t.Schema, t.Table)).ToDictionary(g => g.Key, g => (IReadOnlyList<PhiEntityModel>)[.. g.Distinct()]);
        Dialect = dialect;
    }

    private readonly Dictionary<(string? Schema, string Table), IReadOnlyList<PhiEntityModel>> _byTable;

    /// <summary>Gets every PHI table of the model, one entity type per table.</summary>
    public IReadOnlyList<PhiEntityModel> All { get; }

    public SqlDialect Dialect { get; }

    /// <summary>Gets the database's dialect, which writes the RETURNING (OUTPUT) variant; <see langword="null"/> for an unsupported provider (no variant).</summary>
    public Storage.Dialects.DatabaseDialect? Database { get; }

    /// <summary>Describes a command text: its fingerprint, what it does to which PHI tables, and its RETURNING variant.</summary>
    public AuditedCommand Describe(DbContext context, string sql)
    {
        var fingerprint = AuditRuntime.Fingerprint(sql);
        if (All.Count == 0)
        {
            return new AuditedCommand(fingerprint, []);
        }

        var analysis = SqlAnalyzer.Analyze(sql, Dialect);
        IReadOnlyList<PhiEntityModel> touched = analysis.MayTouchAnyTable
            ? All
            : [.. All.Where(t => analysis.Names.Any(n => n.Denotes(t.Schema, t.Table, Dialect)))];
        if (touched.Count == 0)
        {
            return new AuditedCommand(fingerprint, []);
        }

        var action = analysis.Kind switch
        {
            SqlStatementKind.Read => AuditAction.Read,
            SqlStatementKind.Insert => AuditAction.Create,
            SqlStatementKind.Update => AuditAction.Update,
            SqlStatementKind.Delete => AuditAction.Delete,
            _ => AuditAction.Execute,
        };
        IReadOnlyList<PhiEntityModel> sharing = [.. touched.SelectMany(t => _byTable[(t.Schema, t.Table)])];
        if (action == AuditAction.Read)
        {
            return new AuditedCommand(fingerprint, touched) { Action = action, Touched = touched, TouchedModels = sharing };
        }

        var target = analysis.Target is { } written && touched.Where(t => written.Denotes(t.Schema, t.Table, Dialect)).ToList() is [var single]
            ? single
            : null;

        // The PHI tables the statement may write: none for a read (ExecuteSql of a SELECT), its target's when it has one (a
        // non-PHI target writes none of them and only reads the others), every one it touches when what it writes is not
        // known (several statements, MERGE, DDL).
        IReadOnlyList<PhiEntityModel> writes = analysis.Kind == SqlStatementKind.Read && !analysis.MayTouchAnyTable ? []
            : analysis.Target is { } writtenTable && analysis.Kind is SqlStatementKind.Insert or SqlStatementKind.Update or SqlStatementKind.Delete
                ? [.. touched.Where(t => writtenTable.Denotes(t.Schema, t.Table, Dialect))]
                : touched;
        string? returning = null;
        if (analysis.CanAppendReturning && Database is { } database && target?.PatientId is { } patientId && SupportsReturning(context)
            && (patientId.GetColumnName(StoreObjectIdentifier.Table(target.Table, target.Schema)) ?? patientId.GetColumnName()) is { } columnName
            && !analysis.SetListNames.Any(n => Dialect.SameName(n.Name, n.Quoted, columnName)))
        {
            // (An UPDATE whose SET list names the patient id column may move rows to another patient: RETURNING would give
            // only the new patient, so it is recorded unattributed instead.)
            var column = context.GetService<ISqlGenerationHelper>().DelimitIdentifier(columnName);
            returning = database.WithReturnedColumn(sql, analysis, column);
        }

        return new AuditedCommand(fingerprint, []) { Action = action, Touched = touched, TouchedModels = sharing, Written = writes, Target = target, ReturningCommandText = returning };
    }

    private bool SupportsReturning(DbContext context) => _supportsReturning ??= Database?.SupportsReturning(context.Database.GetDbConnection()) == true;
}
