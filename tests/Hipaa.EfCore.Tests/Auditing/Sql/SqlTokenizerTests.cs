using Hipaa.EfCore.Auditing.Sql;

namespace Hipaa.EfCore.Tests.Auditing.Sql;

public sealed class SqlTokenizerTests
{
    [Theory]
    [InlineData("sqlite", "SELECT a FROM t", "Word:SELECT Word:a Word:FROM Word:t")]
    [InlineData("sqlite", "\"a\"\"b\"", "QuotedIdentifier:a\"b")]
    [InlineData("sqlite", "'it''s'", "String:it's")]
    [InlineData("sqlite", "[a b] `c``d`", "QuotedIdentifier:a b QuotedIdentifier:c`d")]
    [InlineData("postgres", "[1]", "Punctuation:[ Number:1 Punctuation:]")]
    [InlineData("sqlite", "a -- b\nc /* d */ e", "Word:a Word:c Word:e")]
    [InlineData("sqlite", "a /* b /* c */ d */", "Word:a Word:d Operator:*/")]
    [InlineData("postgres", "a /* b /* c */ d */ e", "Word:a Word:e")]
    [InlineData("postgres", "$$a'b$$ $x$ $$ $x$", "String:a'b String: $$ ")]
    [InlineData("postgres", "E'a\\'b' e'c''d'", "String:a'b String:c'd")]
    [InlineData("postgres", "'a\\' b", "String:a\\ Word:b")]
    [InlineData("postgres", "x::int = $1", "Word:x Operator::: Word:int Operator:= Parameter:$1")]
    [InlineData("postgres", "d ? 'k' AND a$b", "Word:d Operator:? String:k Word:AND Word:a$b")]
    [InlineData("sqlite", "x=@p0 AND y = ?1 AND z = :n AND w = $v", "Word:x Operator:= Parameter:@p0 Word:AND Word:y Operator:= Parameter:?1 Word:AND Word:z Operator:= Parameter::n Word:AND Word:w Operator:= Parameter:$v")]
    [InlineData("sqlite", "1.5e-3 0x1F .5", "Number:1.5e-3 Number:0x1F Number:.5")]
    [InlineData("sqlite", "a<>b||c-1", "Word:a Operator:<> Word:b Operator:|| Word:c Operator:- Number:1")]
    [InlineData("sqlite", "a=-- comment\nb", "Word:a Operator:= Word:b")]
    [InlineData("sqlite", "main.\"Notes\";", "Word:main Punctuation:. QuotedIdentifier:Notes Punctuation:;")]
    [InlineData("sqlite", "a /* unterminated", "Word:a")]
    public void Tokenize_Corpus_GivesTheTokensTheDatabaseReads(string dialect, string sql, string expected)
    {
        var tokenization = SqlTokenizer.Tokenize(sql, SqlCorpus.Dialect(dialect));

        Assert.Null(tokenization.Problem);
        Assert.Equal(expected, string.Join(" ", tokenization.Tokens.Select(t => t.Kind + ":" + t.Value)));
    }

    [Theory]
    [InlineData("sqlite", "'a", "an unterminated string literal")]
    [InlineData("sqlite", "\"a", "an unterminated quoted identifier")]
    [InlineData("sqlite", "`a", "an unterminated quoted identifier")]
    [InlineData("sqlite", "[a", "an unterminated [identifier]")]
    [InlineData("postgres", "a /* b", "an unterminated block comment")]
    [InlineData("postgres", "a /* /* b */", "an unterminated block comment")]
    [InlineData("postgres", "$x$ a $y$", "an unterminated dollar-quoted string")]
    [InlineData("postgres", "E'a\\'", "an unterminated escape string")]
    [InlineData("postgres", "U&\"a\\0062\"", "an identifier with Unicode escapes (U&\"…\")")]
    public void Tokenize_TextItCannotReadToTheEnd_SaysWhy(string dialect, string sql, string problem)
    {
        Assert.Equal(problem, SqlTokenizer.Tokenize(sql, SqlCorpus.Dialect(dialect)).Problem);
    }

    [Fact]
    public void Tokenize_Tokens_KnowWhereTheyAreInTheText()
    {
        const string Sql = "UPDATE \"Notes\" SET x = 'y' -- c";
        var tokens = SqlTokenizer.Tokenize(Sql, SqlDialect.Sqlite).Tokens;

        Assert.Equal(["UPDATE", "\"Notes\"", "SET", "x", "=", "'y'"], tokens.Select(t => Sql[t.Start..t.End]));
    }
}
