using Hipaa.EfCore.Auditing.Sql;

namespace Hipaa.EfCore.Tests.Auditing.Sql;

/// <summary>The PHI tables the corpus tests match statements against, and helpers to do so.</summary>
internal static class SqlCorpus
{
    /// <summary>Notes, Patients and lab_results in the default schema; Charts in schema phi.</summary>
    public static (string? Schema, string Table)[] Tables { get; } = [(null, "Notes"), (null, "Patients"), (null, "lab_results"), ("phi", "Charts")];

    public static SqlDialect Dialect(string name) => name switch
    {
        "sqlite" => SqlDialect.Sqlite,
        "postgres" => SqlDialect.PostgreSql,
        "sqlserver" => SqlDialect.TransactSql,
        _ => SqlDialect.Other,
    };

    /// <summary>The corpus tables a command may touch, ordered and comma-separated ("*" when it may touch any).</summary>
    public static string Touched(SqlCommandAnalysis analysis, SqlDialect dialect) =>
        analysis.MayTouchAnyTable
            ? "*"
            : string.Join(",", Tables.Where(t => analysis.Names.Any(n => n.Denotes(t.Schema, t.Table, dialect))).Select(t => t.Table).Order(StringComparer.Ordinal));
}
