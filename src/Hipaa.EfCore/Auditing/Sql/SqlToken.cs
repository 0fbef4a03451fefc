namespace Hipaa.EfCore.Auditing.Sql;

/// <summary>One token of a SQL text.</summary>
/// <param name="Kind">What the token is.</param>
/// <param name="Start">The offset of its first character in the text.</param>
/// <param name="End">The offset just past its last character.</param>
/// <param name="Value">Its value: a word as written, an identifier or string with quotes and escapes removed, a symbol.</param>
internal readonly record struct SqlToken(SqlTokenKind Kind, int Start, int End, string Value)
{
    /// <summary>Gets a value indicating whether this token can be (part of) a name: a word or a quoted identifier.</summary>
    public bool IsIdentifier => Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier;

    /// <summary>Whether this is the given keyword (unquoted, any case).</summary>
    public bool Is(string keyword) => Kind == SqlTokenKind.Word && string.Equals(Value, keyword, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether this is the given punctuation character.</summary>
    public bool Is(char punctuation) => Kind == SqlTokenKind.Punctuation && Value.Length == 1 && Value[0] == punctuation;
}
