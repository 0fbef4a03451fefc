namespace Hipaa.EfCore.Auditing.Sql;

/// <summary>What <see cref="SqlAnalyzer"/> found in one command text.</summary>
internal sealed class SqlCommandAnalysis
{
    /// <summary>Gets what the command does.</summary>
    public required SqlStatementKind Kind { get; init; }

    /// <summary>
    /// Gets every name in the command that could denote a table (outside literals and comments), qualified by the
    /// name before it. It over-approximates — column names and aliases are included — so that a table is never missed.
    /// </summary>
    public required IReadOnlyList<SqlTableName> Names { get; init; }

    /// <summary>
    /// Gets a value indicating whether the command may touch tables it does not name: it could not be tokenized, or it
    /// runs code it does not show (<c>DO</c>, <c>CALL</c>, <c>EXECUTE</c>).
    /// </summary>
    public bool MayTouchAnyTable { get; init; }

    /// <summary>Gets why the command is <see cref="SqlStatementKind.Unclassified"/>, or <see langword="null"/>.</summary>
    public string? Problem { get; init; }

    /// <summary>Gets the table a single <c>INSERT</c>, <c>UPDATE</c> or <c>DELETE</c> writes to, or <see langword="null"/>.</summary>
    public SqlTableName? Target { get; init; }

    /// <summary>Gets how the target is referred to in the statement: its alias, or its (qualified) name as written.</summary>
    public string? TargetReference { get; init; }

    /// <summary>Gets the names an <c>UPDATE</c>'s <c>SET</c> list mentions: the columns it assigns and those its values read.</summary>
    public IReadOnlyList<SqlTableName> SetListNames { get; init; } = [];

    /// <summary>Gets a value indicating whether the statement has a <c>RETURNING</c> clause of its own.</summary>
    public bool HasReturning { get; init; }

    /// <summary>
    /// Gets where a <c>RETURNING</c> clause can be appended: just past the statement's last token, before any trailing
    /// semicolons, comments and whitespace (which are dropped); -1 unless the command is a single statement.
    /// </summary>
    public int End { get; init; } = -1;

    /// <summary>
    /// Gets where T-SQL's <c>OUTPUT</c> clause goes in a single <c>UPDATE</c> (after its SET list) or <c>DELETE</c> (after
    /// its target): the offset of its first <c>FROM</c>, <c>WHERE</c> or <c>OPTION</c> outside parentheses, else
    /// <see cref="End"/>; -1 when the statement has no known target.
    /// </summary>
    public int OutputAt { get; init; } = -1;

    /// <summary>
    /// Gets a value indicating whether a <c>RETURNING</c> clause may be added at <see cref="End"/>: a single
    /// <c>UPDATE</c> or <c>DELETE</c> with a known target, no <c>RETURNING</c> of its own, and nothing unclassified.
    /// </summary>
    public bool CanAppendReturning => Kind is SqlStatementKind.Update or SqlStatementKind.Delete && Target is not null && !HasReturning && End >= 0;
}
