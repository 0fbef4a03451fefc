namespace Hipaa.EfCore.Auditing.Sql;

/// <summary>What a <see cref="SqlToken"/> is. Comments and whitespace are not tokens.</summary>
internal enum SqlTokenKind
{
    /// <summary>An unquoted identifier or keyword.</summary>
    Word,

    /// <summary>A quoted identifier: <c>"x"</c>, and on SQLite <c>[x]</c> or <c>`x`</c>.</summary>
    QuotedIdentifier,

    /// <summary>A string literal: <c>'x'</c>, <c>E'x'</c>, <c>$tag$x$tag$</c>.</summary>
    String,

    /// <summary>A numeric literal.</summary>
    Number,

    /// <summary>A parameter placeholder: <c>@p0</c>, <c>:p</c>, <c>$1</c>, <c>?1</c>.</summary>
    Parameter,

    /// <summary>One of <c>( ) , ; . [ ] { }</c>.</summary>
    Punctuation,

    /// <summary>Any other run of symbols (<c>=</c>, <c>::</c>, <c>&lt;&gt;</c> …).</summary>
    Operator,
}
