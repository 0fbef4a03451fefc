namespace Hipaa.EfCore.Auditing.Sql;

/// <summary>The tokens of a SQL text, or as many as could be read and why the rest could not.</summary>
internal sealed class SqlTokenization
{
    public SqlTokenization(IReadOnlyList<SqlToken> tokens, string? problem)
    {
        Tokens = tokens;
        Problem = problem;
    }

    public IReadOnlyList<SqlToken> Tokens { get; }

    /// <summary>Gets why the text could not be read to its end (an unterminated literal, say), or <see langword="null"/>.</summary>
    public string? Problem { get; }

    public bool IsMalformed => Problem is not null;
}
