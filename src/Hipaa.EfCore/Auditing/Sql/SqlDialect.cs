using System.Data.Common;

namespace Hipaa.EfCore.Auditing.Sql;

/// <summary>
/// How one database reads SQL text (comments, quotes, literals, identifier case) and whether an audited statement may be
/// given a <c>RETURNING</c> clause: the raw-SQL lexer's rules of one <see cref="Storage.Dialects.DatabaseDialect"/>,
/// which maps an EF Core provider name to it.
/// </summary>
internal sealed class SqlDialect
{
    /// <summary>SQLite 3.35 added <c>RETURNING</c>.</summary>
    private static readonly Version SqliteReturning = new(3, 35);

    private SqlDialect(string name) => Name = name;

    /// <summary>Gets SQLite: <c>[x]</c> and <c>`x`</c> identifiers, case-insensitive names even when quoted, block comments that do not nest.</summary>
    public static SqlDialect Sqlite { get; } = new("SQLite")
    {
        BracketAndBacktickIdentifiers = true,
        QuotedIdentifiersIgnoreCase = true,
        StringLiteralsCanNameTables = true,
        UnterminatedBlockCommentRunsToEnd = true,
        QuestionMarkParameters = true,
    };

    /// <summary>Gets PostgreSQL: nested block comments, dollar-quoted strings, <c>E'…'</c> escape strings, case-sensitive quoted identifiers.</summary>
    public static SqlDialect PostgreSql { get; } = new("PostgreSQL")
    {
        NestedBlockComments = true,
        LineCommentsEndAtCarriageReturn = true,
        DollarQuotedStrings = true,
        EscapeStrings = true,
    };

    /// <summary>
    /// Gets SQL Server's T-SQL: <c>[x]</c> identifiers (<c>]]</c> for a bracket), <c>N'…'</c> literals, nested block
    /// comments, names compared without regard to case (the default collations), statements that need no semicolon
    /// between them, a procedure called by its bare name at the start of a batch, <c>OUTPUT</c> instead of
    /// <c>RETURNING</c>, and an <c>UPDATE</c>/<c>DELETE</c> target that may be an alias of its <c>FROM</c> clause.
    /// </summary>
    public static SqlDialect TransactSql { get; } = new("T-SQL")
    {
        NestedBlockComments = true,
        LineCommentsEndAtCarriageReturn = true,
        BracketIdentifiersWithEscapes = true,
        NationalStrings = true,
        QuotedIdentifiersIgnoreCase = true,
        StatementsWithoutSeparators = true,
        BareProcedureCalls = true,
        TargetMayBeFromAlias = true,
        ReturningKeyword = "OUTPUT",
    };

    /// <summary>Gets any other provider: read conservatively, and never given a <c>RETURNING</c> clause.</summary>
    public static SqlDialect Other { get; } = new("other")
    {
        LineCommentsEndAtCarriageReturn = true,
        BracketAndBacktickIdentifiers = true,
        QuestionMarkParameters = true,
        QuotedIdentifiersIgnoreCase = true,
    };

    public string Name { get; }

    /// <summary>Gets a value indicating whether <c>/* /* */ */</c> is one comment (PostgreSQL) rather than a comment and <c>*/</c>.</summary>
    public bool NestedBlockComments { get; private init; }

    /// <summary>
    /// Gets a value indicating whether a <c>--</c> comment ends at a carriage return as well as at a line feed
    /// (PostgreSQL's lexer: <c>--</c> then anything but <c>[\n\r]</c>); SQLite ends it at a line feed only.
    /// </summary>
    public bool LineCommentsEndAtCarriageReturn { get; private init; }

    /// <summary>Gets a value indicating whether an unterminated <c>/*</c> comments out the rest of the text (SQLite) instead of being an error.</summary>
    public bool UnterminatedBlockCommentRunsToEnd { get; private init; }

    /// <summary>Gets a value indicating whether <c>$tag$ … $tag$</c> is a string literal (PostgreSQL).</summary>
    public bool DollarQuotedStrings { get; private init; }

    /// <summary>Gets a value indicating whether <c>E'…'</c> is a string in which a backslash escapes the next character (PostgreSQL).</summary>
    public bool EscapeStrings { get; private init; }

    /// <summary>Gets a value indicating whether <c>[x]</c> and <c>`x`</c> are quoted identifiers (SQLite).</summary>
    public bool BracketAndBacktickIdentifiers { get; private init; }

    /// <summary>Gets a value indicating whether <c>?</c> is a parameter placeholder (SQLite) rather than an operator (PostgreSQL's jsonb <c>?</c>).</summary>
    public bool QuestionMarkParameters { get; private init; }

    /// <summary>Gets a value indicating whether quoted identifiers compare without regard to case (SQLite compares every name that way).</summary>
    public bool QuotedIdentifiersIgnoreCase { get; private init; }

    /// <summary>Gets a value indicating whether a string literal where a table name belongs names that table (SQLite: <c>SELECT * FROM 'Notes'</c>).</summary>
    public bool StringLiteralsCanNameTables { get; private init; }

    /// <summary>Gets a value indicating whether <c>[x]</c> is a quoted identifier in which <c>]]</c> stands for one <c>]</c> (T-SQL); backticks are not quotes there.</summary>
    public bool BracketIdentifiersWithEscapes { get; private init; }

    /// <summary>Gets a value indicating whether <c>N'…'</c> is one string literal (T-SQL's Unicode strings).</summary>
    public bool NationalStrings { get; private init; }

    /// <summary>
    /// Gets a value indicating whether a statement may follow another without a semicolon (T-SQL:
    /// <c>SELECT 1 DELETE FROM Notes</c> is two statements), so a statement keyword inside one is read as a second statement.
    /// </summary>
    public bool StatementsWithoutSeparators { get; private init; }

    /// <summary>Gets a value indicating whether an unknown first word may be a stored procedure called without <c>EXEC</c> (T-SQL, at the start of a batch), which may touch any table.</summary>
    public bool BareProcedureCalls { get; private init; }

    /// <summary>Gets a value indicating whether the table of <c>UPDATE x</c>/<c>DELETE FROM x</c> may be named by an alias <c>x</c> of the statement's own <c>FROM</c> clause (T-SQL).</summary>
    public bool TargetMayBeFromAlias { get; private init; }

    /// <summary>Gets the keyword of a clause that returns the written rows: <c>RETURNING</c>, or T-SQL's <c>OUTPUT</c>.</summary>
    public string ReturningKeyword { get; private init; } = "RETURNING";

    /// <summary>The dialect of an EF Core provider (<c>DatabaseFacade.ProviderName</c>); <see cref="Other"/> for a provider the SDK does not support.</summary>
    public static SqlDialect For(string? providerName) => Storage.Dialects.DatabaseDialect.Find(providerName)?.Lexer ?? Other;

    /// <summary>Whether a <c>RETURNING</c> (T-SQL: <c>OUTPUT</c>) clause can be added to an <c>UPDATE</c>/<c>DELETE</c> on this connection: PostgreSQL, SQL Server, and SQLite from 3.35.</summary>
    public bool SupportsReturning(DbConnection connection)
    {
        if (ReferenceEquals(this, PostgreSql) || ReferenceEquals(this, TransactSql))
        {
            return true;
        }

        if (!ReferenceEquals(this, Sqlite))
        {
            return false;
        }

        var version = connection.ServerVersion;
        var end = 0;
        while (end < version.Length && (char.IsAsciiDigit(version[end]) || version[end] == '.'))
        {
            end++;
        }

        return Version.TryParse(version.AsSpan(0, end), out var parsed) && parsed >= SqliteReturning;
    }

    /// <summary>Whether two names denote the same object: unquoted names ignore case (SQLite compares, PostgreSQL folds them); quoted ones only on SQLite.</summary>
    public bool SameName(string written, bool quoted, string actual) =>
        string.Equals(written, actual, !quoted || QuotedIdentifiersIgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    public override string ToString() => Name;
}
