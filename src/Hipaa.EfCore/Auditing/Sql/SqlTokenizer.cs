using System.Text;

namespace Hipaa.EfCore.Auditing.Sql;

/// <summary>
/// Splits SQL text into tokens the way the database reads it: comments and whitespace dropped, quoted identifiers and
/// string literals (with their escapes) kept whole, so that what is inside a literal or a comment is never taken for a
/// name. Text it cannot read to the end (an unterminated literal, an identifier with Unicode escapes) is reported as a
/// problem rather than guessed at.
/// </summary>
internal static class SqlTokenizer
{
    private const string OperatorCharacters = "+-*/<>=~!@#%^&|?";

    public static SqlTokenization Tokenize(string sql, SqlDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var tokens = new List<SqlToken>();
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            var next = i + 1 < sql.Length ? sql[i + 1] : '\0';
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '-' && next == '-')
            {
                var end = dialect.LineCommentsEndAtCarriageReturn ? sql.IndexOfAny(['\n', '\r'], i) : sql.IndexOf('\n', i);
                i = end < 0 ? sql.Length : end + 1;
            }
            else if (c == '/' && next == '*')
            {
                var end = BlockCommentEnd(sql, i, dialect.NestedBlockComments);
                if (end < 0 && !dialect.UnterminatedBlockCommentRunsToEnd)
                {
                    return new SqlTokenization(tokens, "an unterminated block comment");
                }

                i = end < 0 ? sql.Length : end;
            }
            else if (c == '\'')
            {
                if (Quoted(sql, i, '\'', out var end, out var value) is { } problem)
                {
                    return new SqlTokenization(tokens, problem);
                }

                tokens.Add(new SqlToken(SqlTokenKind.String, i, end, value));
                i = end;
            }
            else if (c == '"')
            {
                if (tokens is [.., { Kind: SqlTokenKind.Word } u, { Kind: SqlTokenKind.Operator, Value: "&" } amp] && u.Is("U") && u.End == amp.Start && amp.End == i)
                {
                    return new SqlTokenization(tokens, "an identifier with Unicode escapes (U&\"…\")");
                }

                if (Quoted(sql, i, '"', out var end, out var value) is { } problem)
                {
                    return new SqlTokenization(tokens, problem);
                }

                tokens.Add(new SqlToken(SqlTokenKind.QuotedIdentifier, i, end, value));
                i = end;
            }
            else if (c == '`' && dialect.BracketAndBacktickIdentifiers)
            {
                if (Quoted(sql, i, '`', out var end, out var value) is { } problem)
                {
                    return new SqlTokenization(tokens, problem);
                }

                tokens.Add(new SqlToken(SqlTokenKind.QuotedIdentifier, i, end, value));
                i = end;
            }
            else if (c == '[' && dialect.BracketIdentifiersWithEscapes)
            {
                if (Bracketed(sql, i, out var end, out var value) is { } problem)
                {
                    return new SqlTokenization(tokens, problem);
                }

                tokens.Add(new SqlToken(SqlTokenKind.QuotedIdentifier, i, end, value));
                i = end;
            }
            else if (c == '[' && dialect.BracketAndBacktickIdentifiers)
            {
                var close = sql.IndexOf(']', i + 1);
                if (close < 0)
                {
                    return new SqlTokenization(tokens, "an unterminated [identifier]");
                }

                tokens.Add(new SqlToken(SqlTokenKind.QuotedIdentifier, i, close + 1, sql[(i + 1)..close]));
                i = close + 1;
            }
            else if (c == '$' && dialect.DollarQuotedStrings && !char.IsAsciiDigit(next))
            {
                var tagEnd = i + 1;
                while (tagEnd < sql.Length && IsIdentifierPart(sql[tagEnd]) && sql[tagEnd] != '$' && !(tagEnd == i + 1 && char.IsAsciiDigit(sql[tagEnd])))
                {
                    tagEnd++;
                }

                if (tagEnd < sql.Length && sql[tagEnd] == '$')
                {
                    var tag = sql[i..(tagEnd + 1)];
                    var close = sql.IndexOf(tag, tagEnd + 1, StringComparison.Ordinal);
                    if (close < 0)
                    {
                        return new SqlTokenization(tokens, "an unterminated dollar-quoted string");
                    }

                    tokens.Add(new SqlToken(SqlTokenKind.String, i, close + tag.Length, sql[(tagEnd + 1)..close]));
                    i = close + tag.Length;
                }
                else
                {
                    tokens.Add(new SqlToken(SqlTokenKind.Operator, i, i + 1, "$"));
                    i++;
                }
            }
            else if (c == ':' && next == ':')
            {
                tokens.Add(new SqlToken(SqlTokenKind.Operator, i, i + 2, "::"));
                i += 2;
            }
            else if (StartsParameter(sql, i, dialect))
            {
                // @p0, :p, $p (SQLite), $1 (PostgreSQL), ?, ?1 (SQLite; on PostgreSQL ? is a jsonb operator).
                var end = i + 1;
                while (end < sql.Length && IsIdentifierPart(sql[end]))
                {
                    end++;
                }

                tokens.Add(new SqlToken(SqlTokenKind.Parameter, i, end, sql[i..end]));
                i = end;
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && char.IsAsciiDigit(next)))
            {
                var end = i + 1;
                while (end < sql.Length && (char.IsAsciiLetterOrDigit(sql[end]) || sql[end] is '_' or '.' || IsExponentSign(sql, i, end)))
                {
                    end++;
                }

                tokens.Add(new SqlToken(SqlTokenKind.Number, i, end, sql[i..end]));
                i = end;
            }
            else if (IsIdentifierStart(c))
            {
                var end = i + 1;
                while (end < sql.Length && IsIdentifierPart(sql[end]))
                {
                    end++;
                }

                if (dialect.EscapeStrings && end == i + 1 && c is 'E' or 'e' && end < sql.Length && sql[end] == '\'')
                {
                    if (EscapeString(sql, end, out var stringEnd, out var value) is { } problem)
                    {
                        return new SqlTokenization(tokens, problem);
                    }

                    tokens.Add(new SqlToken(SqlTokenKind.String, i, stringEnd, value));
                    i = stringEnd;
                    continue;
                }

                if (dialect.NationalStrings && end == i + 1 && c is 'N' or 'n' && end < sql.Length && sql[end] == '\'')
                {
                    if (Quoted(sql, end, '\'', out var stringEnd, out var value) is { } problem)
                    {
                        return new SqlTokenization(tokens, problem);
                    }

                    tokens.Add(new SqlToken(SqlTokenKind.String, i, stringEnd, value));
                    i = stringEnd;
                    continue;
                }

                tokens.Add(new SqlToken(SqlTokenKind.Word, i, end, sql[i..end]));
                i = end;
            }
            else if (c is '(' or ')' or ',' or ';' or '.' or '[' or ']' or '{' or '}')
            {
                tokens.Add(new SqlToken(SqlTokenKind.Punctuation, i, i + 1, c.ToString()));
                i++;
            }
            else
            {
                // A run of operator symbols; "--" and "/*" start a comment even inside one, as in PostgreSQL, and a
                // parameter placeholder ends it (=@p0).
                var end = i + 1;
                while (end < sql.Length && OperatorCharacters.Contains(sql[end], StringComparison.Ordinal)
                    && !(sql[end] == '-' && end + 1 < sql.Length && sql[end + 1] == '-')
                    && !(sql[end] == '/' && end + 1 < sql.Length && sql[end + 1] == '*')
                    && !StartsParameter(sql, end, dialect))
                {
                    end++;
                }

                tokens.Add(new SqlToken(SqlTokenKind.Operator, i, end, sql[i..end]));
                i = end;
            }
        }

        return new SqlTokenization(tokens, null);
    }

    /// <summary>Whether a parameter placeholder starts at <paramref name="i"/>.</summary>
    private static bool StartsParameter(string sql, int i, SqlDialect dialect)
    {
        var c = sql[i];
        var next = i + 1 < sql.Length ? sql[i + 1] : '\0';
        return c switch
        {
            '@' or ':' => IsIdentifierStart(next) && (i == 0 || sql[i - 1] != ':'),
            '$' => char.IsAsciiDigit(next) || (!dialect.DollarQuotedStrings && IsIdentifierStart(next)),
            '?' => dialect.QuestionMarkParameters,
            _ => false,
        };
    }

    /// <summary>Whether the character at <paramref name="i"/> is the sign of a decimal exponent (1e-5) in the number starting at <paramref name="start"/>.</summary>
    private static bool IsExponentSign(string sql, int start, int i) =>
        sql[i] is '+' or '-' && sql[i - 1] is 'e' or 'E' && !(i - start > 1 && sql[start] == '0' && sql[start + 1] is 'x' or 'X');

    private static bool IsIdentifierStart(char c) => char.IsLetter(c) || c == '_' || c > '\u007f';

    private static bool IsIdentifierPart(char c) => char.IsLetterOrDigit(c) || c is '_' or '$' || c > '\u007f';

    /// <summary>The offset just past a block comment starting at <paramref name="start"/>, or -1 when it never ends.</summary>
    private static int BlockCommentEnd(string sql, int start, bool nested)
    {
        var depth = 0;
        var i = start;
        while (i + 1 < sql.Length)
        {
            if (sql[i] == '/' && sql[i + 1] == '*' && (nested || depth == 0))
            {
                depth++;
                i += 2;
            }
            else if (sql[i] == '*' && sql[i + 1] == '/')
            {
                depth--;
                i += 2;
                if (depth == 0)
                {
                    return i;
                }
            }
            else
            {
                i++;
            }
        }

        return -1;
    }

    /// <summary>Reads a literal or identifier quoted by <paramref name="quote"/>, in which a doubled quote stands for one.</summary>
    private static string? Quoted(string sql, int start, char quote, out int end, out string value)
    {
        var builder = new StringBuilder();
        var i = start + 1;
        while (i < sql.Length)
        {
            if (sql[i] == quote)
            {
                if (i + 1 < sql.Length && sql[i + 1] == quote)
                {
                    builder.Append(quote);
                    i += 2;
                    continue;
                }

                end = i + 1;
                value = builder.ToString();
                return null;
            }

            builder.Append(sql[i]);
            i++;
        }

        end = sql.Length;
        value = builder.ToString();
        return quote == '\'' ? "an unterminated string literal" : "an unterminated quoted identifier";
    }

    /// <summary>Reads T-SQL's <c>[identifier]</c>, in which <c>]]</c> stands for one <c>]</c>.</summary>
    private static string? Bracketed(string sql, int start, out int end, out string value)
    {
        var builder = new StringBuilder();
        var i = start + 1;
        while (i < sql.Length)
        {
            if (sql[i] == ']')
            {
                if (i + 1 < sql.Length && sql[i + 1] == ']')
                {
                    builder.Append(']');
                    i += 2;
                    continue;
                }

                end = i + 1;
                value = builder.ToString();
                return null;
            }

            builder.Append(sql[i]);
            i++;
        }

        end = sql.Length;
        value = builder.ToString();
        return "an unterminated [identifier]";
    }

    /// <summary>Reads PostgreSQL's <c>E'…'</c>: a backslash escapes the next character, a doubled quote stands for one.</summary>
    private static string? EscapeString(string sql, int quote, out int end, out string value)
    {
        var builder = new StringBuilder();
        var i = quote + 1;
        while (i < sql.Length)
        {
            if (sql[i] == '\\' && i + 1 < sql.Length)
            {
                builder.Append(sql[i + 1]);
                i += 2;
            }
            else if (sql[i] == '\'' && i + 1 < sql.Length && sql[i + 1] == '\'')
            {
                builder.Append('\'');
                i += 2;
            }
            else if (sql[i] == '\'')
            {
                end = i + 1;
                value = builder.ToString();
                return null;
            }
            else
            {
                builder.Append(sql[i]);
                i++;
            }
        }

        end = sql.Length;
        value = builder.ToString();
        return "an unterminated escape string";
    }
}
