namespace Hipaa.EfCore.Auditing.Sql;

/// <summary>
/// Reads a SQL command text far enough to audit it: which names in it may denote tables, what it does (its first keyword
/// after comments and common table expressions), and for a single <c>UPDATE</c>/<c>DELETE</c> which table it writes
/// to and where a <c>RETURNING</c> clause could go. It does not parse SQL fully; when it cannot tell, it says so
/// (<see cref="SqlStatementKind.Unclassified"/>) instead of guessing.
/// </summary>
internal static class SqlAnalyzer
{
    private static readonly HashSet<string> MainKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "SELECT", "VALUES", "TABLE", "INSERT", "REPLACE", "UPDATE", "DELETE", "MERGE",
    };

    private static readonly HashSet<string> DataModifying = new(StringComparer.OrdinalIgnoreCase) { "INSERT", "UPDATE", "DELETE", "MERGE" };

    /// <summary>Statements that run code the text does not show: they may touch any table.</summary>
    private static readonly HashSet<string> Opaque = new(StringComparer.OrdinalIgnoreCase) { "DO", "CALL", "EXECUTE", "EXEC", "FETCH" };

    /// <summary>Known statements that are not reads: recorded as <c>Execute</c> on the PHI tables they name.</summary>
    private static readonly HashSet<string> OtherStatements = new(StringComparer.OrdinalIgnoreCase)
    {
        "MERGE", "TRUNCATE", "COPY", "CREATE", "ALTER", "DROP", "PRAGMA", "VACUUM", "ANALYZE", "REINDEX", "ATTACH",
        "DETACH", "GRANT", "REVOKE", "COMMENT", "LOCK", "SET", "RESET", "SHOW", "BEGIN", "COMMIT", "ROLLBACK", "ABORT",
        "SAVEPOINT", "RELEASE", "START", "END", "PREPARE", "DEALLOCATE", "DECLARE", "MOVE", "CLOSE", "LISTEN",
        "NOTIFY", "UNLISTEN", "DISCARD", "CHECKPOINT", "REFRESH", "CLUSTER", "SECURITY", "IMPORT", "LOAD",
    };

    /// <summary>SQLite's conflict resolutions, after <c>UPDATE OR</c> and before the table: <c>UPDATE OR ROLLBACK 'Notes' SET …</c>.</summary>
    private static readonly HashSet<string> ConflictResolutions = new(StringComparer.OrdinalIgnoreCase) { "ROLLBACK", "ABORT", "FAIL", "IGNORE", "REPLACE" };

    /// <summary>Words after which a table name follows (where SQLite also takes a string literal for one: <c>x IN 'Notes'</c> reads the table).</summary>
    private static readonly HashSet<string> BeforeTableName = new(StringComparer.OrdinalIgnoreCase) { "FROM", "JOIN", "UPDATE", "INTO", "TABLE", "IN", "ON", "REFERENCES" };

    /// <summary>Words that end a FROM list (after which <c>, 'x'</c> is no longer a table).</summary>
    private static readonly HashSet<string> AfterFromList = new(StringComparer.OrdinalIgnoreCase)
    {
        "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "WINDOW", "UNION", "EXCEPT", "INTERSECT", "SELECT", "SET", "VALUES", "RETURNING",
    };

    /// <summary>Words that may follow a DML target and so are not its alias.</summary>
    private static readonly HashSet<string> AfterTarget = new(StringComparer.OrdinalIgnoreCase)
    {
        "SET", "WHERE", "USING", "RETURNING", "INDEXED", "NOT", "FROM", "DEFAULT", "VALUES", "SELECT", "ON", "OVERRIDING",
        "WITH", "ORDER", "LIMIT", "TABLE",
    };

    /// <summary>
    /// Words that start a T-SQL statement, which needs no semicolon before it: found outside parentheses after a
    /// statement's own keyword, they begin a second statement (<c>SELECT 1 DELETE FROM Notes</c>).
    /// </summary>
    private static readonly HashSet<string> TransactSqlStatementStarts = new(StringComparer.OrdinalIgnoreCase)
    {
        "INSERT", "UPDATE", "DELETE", "MERGE", "EXEC", "EXECUTE", "TRUNCATE", "DROP", "ALTER", "CREATE", "DECLARE", "GRANT",
        "REVOKE", "DENY", "BEGIN", "COMMIT", "ROLLBACK", "SAVE", "BACKUP", "RESTORE", "DBCC", "BULK", "USE", "PRINT",
        "RAISERROR", "THROW", "WAITFOR", "IF", "WHILE", "RETURN", "GOTO", "OPEN", "CLOSE", "DEALLOCATE", "FETCH", "SET",
        "SELECT", "WITH", "READTEXT", "WRITETEXT", "UPDATETEXT", "KILL", "SHUTDOWN", "RECONFIGURE", "CHECKPOINT",
    };

    public static SqlCommandAnalysis Analyze(string sql, SqlDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(dialect);
        var tokenization = SqlTokenizer.Tokenize(sql, dialect);
        var tokens = tokenization.Tokens;
        var names = Names(tokens, dialect);
        if (tokenization.IsMalformed)
        {
            return new SqlCommandAnalysis { Kind = SqlStatementKind.Unclassified, Names = names, MayTouchAnyTable = true, Problem = tokenization.Problem };
        }

        var statements = Statements(tokens, out var balanced);
        if (!balanced)
        {
            return new SqlCommandAnalysis { Kind = SqlStatementKind.Unclassified, Names = names, MayTouchAnyTable = true, Problem = "unbalanced parentheses" };
        }

        return statements.Count switch
        {
            0 => new SqlCommandAnalysis { Kind = SqlStatementKind.Other, Names = names },
            1 => Statement(sql, tokens, statements[0].Start, statements[0].End, names, dialect),
            _ => new SqlCommandAnalysis
            {
                Kind = SqlStatementKind.Unclassified,
                Names = names,
                MayTouchAnyTable = statements.Exists(s => FirstKeyword(tokens, s.Start, s.End) is { } first && (Opaque.Contains(first.Value) || first.Is("VACUUM"))),
                Problem = $"{statements.Count} statements in one command",
            },
        };
    }

    private static SqlCommandAnalysis Statement(string sql, IReadOnlyList<SqlToken> tokens, int start, int end, IReadOnlyList<SqlTableName> names, SqlDialect dialect)
    {
        var main = start;
        while (main < end && tokens[main].Is('('))
        {
            main++; // (SELECT …)
        }

        if (main < end && tokens[main].Is("WITH"))
        {
            main = MainAfterWith(tokens, main + 1, end);
            if (main < 0)
            {
                return Unclassified(names, "a WITH clause without a statement it belongs to");
            }
        }

        if (main >= end)
        {
            return Unclassified(names, "a statement without a keyword");
        }

        var keyword = tokens[main];
        if (keyword.Kind != SqlTokenKind.Word)
        {
            return Unclassified(names, "a statement that does not start with a keyword");
        }

        if (Opaque.Contains(keyword.Value))
        {
            return new SqlCommandAnalysis { Kind = SqlStatementKind.Unclassified, Names = names, MayTouchAnyTable = true, Problem = $"{keyword.Value.ToUpperInvariant()} runs code the statement does not show" };
        }

        var kind = keyword.Value.ToUpperInvariant() switch
        {
            "SELECT" or "VALUES" or "TABLE" => SqlStatementKind.Read,
            "INSERT" or "REPLACE" => SqlStatementKind.Insert,
            "UPDATE" => SqlStatementKind.Update,
            "DELETE" => SqlStatementKind.Delete,
            _ when OtherStatements.Contains(keyword.Value) => SqlStatementKind.Other,
            _ => SqlStatementKind.Unclassified,
        };
        if (kind == SqlStatementKind.Unclassified)
        {
            // T-SQL runs a stored procedure named by the first word of a batch without EXEC: it may touch any table.
            return dialect.BareProcedureCalls
                ? new SqlCommandAnalysis { Kind = SqlStatementKind.Unclassified, Names = names, MayTouchAnyTable = true, Problem = $"an unknown statement ({keyword.Value.ToUpperInvariant()}), which T-SQL runs as a stored procedure" }
                : Unclassified(names, $"an unknown statement ({keyword.Value.ToUpperInvariant()})");
        }

        if (dialect.StatementsWithoutSeparators && kind != SqlStatementKind.Other && SecondStatement(tokens, main, end, kind) is { } second)
        {
            return new SqlCommandAnalysis
            {
                Kind = SqlStatementKind.Unclassified,
                Names = names,
                MayTouchAnyTable = AtDepthZero(tokens, second, end, "EXEC") || AtDepthZero(tokens, second, end, "EXECUTE"),
                Problem = $"a second statement ({tokens[second].Value.ToUpperInvariant()}) without a semicolon before it",
            };
        }

        if (NestedDataModification(tokens, start, end))
        {
            return Unclassified(names, "a data-modifying statement inside parentheses (a CTE or subquery)");
        }

        if (kind == SqlStatementKind.Read && keyword.Is("SELECT") && AtDepthZero(tokens, main, end, "INTO"))
        {
            return Unclassified(names, "SELECT … INTO, which writes a table");
        }

        var analysis = new SqlCommandAnalysis
        {
            Kind = kind,
            Names = names,
            MayTouchAnyTable = keyword.Is("VACUUM"), // VACUUM INTO copies the whole database
            HasReturning = AtDepthZero(tokens, main, end, dialect.ReturningKeyword),
            End = tokens[end - 1].End,
        };
        return kind is SqlStatementKind.Insert or SqlStatementKind.Update or SqlStatementKind.Delete ? WithTarget(sql, tokens, main, end, analysis, dialect) : analysis;
    }

    /// <summary>
    /// In T-SQL, where statements need no semicolon between them: the index of the first word outside parentheses after
    /// <paramref name="main"/> that starts another statement, or <see langword="null"/>. A statement's own clauses are not
    /// such words: an UPDATE's SET, an INSERT's source SELECT, a SELECT after UNION/EXCEPT/INTERSECT, OFFSET … FETCH.
    /// </summary>
    private static int? SecondStatement(IReadOnlyList<SqlToken> tokens, int main, int end, SqlStatementKind kind)
    {
        var depth = 0;
        var sawSet = false;
        var sawSource = false;
        for (var i = main + 1; i < end; i++)
        {
            var token = tokens[i];
            depth += token.Is('(') ? 1 : token.Is(')') ? -1 : 0;
            if (depth != 0 || token.Kind != SqlTokenKind.Word || !TransactSqlStatementStarts.Contains(token.Value))
            {
                continue;
            }

            var previous = tokens[i - 1];
            var own = token.Value.ToUpperInvariant() switch
            {
                "SET" => kind == SqlStatementKind.Update && !sawSet && (sawSet = true),
                "SELECT" => previous.Is("UNION") || previous.Is("ALL") || previous.Is("EXCEPT") || previous.Is("INTERSECT") || previous.Is("DISTINCT")
                    || (kind == SqlStatementKind.Insert && !sawSource && (sawSource = true)),
                "FETCH" => previous.Is("ROWS") || previous.Is("ROW"),
                "WITH" => previous.IsIdentifier || previous.Is(')'), // a table hint: FROM t WITH (NOLOCK), UPDATE t WITH (ROWLOCK)
                _ => false,
            };
            if (!own)
            {
                return i;
            }
        }

        return null;
    }

    /// <summary>Finds the table an INSERT, UPDATE or DELETE writes to and how the statement refers to it (alias or name).</summary>
    private static SqlCommandAnalysis WithTarget(string sql, IReadOnlyList<SqlToken> tokens, int main, int end, SqlCommandAnalysis analysis, SqlDialect dialect)
    {
        var stringNames = dialect.StringLiteralsCanNameTables;
        var i = main + 1;
        bool At(int index, string word) => index < end && tokens[index].Is(word);
        switch (analysis.Kind)
        {
            case SqlStatementKind.Update:
                i += At(i, "OR") ? 2 : 0; // UPDATE OR ROLLBACK … (SQLite)
                break;
            case SqlStatementKind.Delete:
                if (!At(i, "FROM"))
                {
                    return analysis;
                }

                i++;
                break;
            default:
                i += At(i, "OR") ? 2 : 0; // INSERT OR REPLACE … (SQLite)
                if (!At(i, "INTO"))
                {
                    return analysis;
                }

                i++;
                break;
        }

        i += At(i, "ONLY") ? 1 : 0; // UPDATE ONLY t (PostgreSQL)
        if (dialect.TargetMayBeFromAlias && At(i, "TOP"))
        {
            return analysis; // UPDATE TOP (n) t (T-SQL): not read further, so no target
        }

        var first = i;
        List<SqlToken> parts = [];
        while (i < end && (tokens[i].IsIdentifier || (stringNames && tokens[i].Kind == SqlTokenKind.String)))
        {
            parts.Add(tokens[i]);
            i++;
            if (i + 1 < end && tokens[i].Is('.') && (tokens[i + 1].IsIdentifier || (stringNames && tokens[i + 1].Kind == SqlTokenKind.String)))
            {
                i++;
            }
            else
            {
                break;
            }
        }

        if (parts.Count == 0)
        {
            return analysis;
        }

        var written = sql[tokens[first].Start..tokens[i - 1].End];
        if (i < end && tokens[i] is { Kind: SqlTokenKind.Operator, Value: "*" })
        {
            i++; // UPDATE t * (PostgreSQL: t and its descendants)
        }

        SqlToken? alias = null;
        if (At(i, "AS") && i + 1 < end && tokens[i + 1].IsIdentifier)
        {
            alias = tokens[i + 1];
        }
        else if (i < end && tokens[i].IsIdentifier && !(tokens[i].Kind == SqlTokenKind.Word && AfterTarget.Contains(tokens[i].Value)))
        {
            alias = tokens[i];
        }

        // The names an UPDATE's SET list mentions (the columns it assigns, and whatever its values read): an UPDATE that
        // assigns the patient id must not be attributed through RETURNING, which gives the new value.
        List<SqlTableName> assigned = [];
        if (analysis.Kind == SqlStatementKind.Update)
        {
            var depth = 0;
            var inSet = false;
            for (var k = i; k < end; k++)
            {
                var token = tokens[k];
                depth += token.Is('(') ? 1 : token.Is(')') ? -1 : 0;
                if (depth == 0 && token.Is("SET"))
                {
                    inSet = true;
                }
                else if (depth == 0 && inSet && (token.Is("WHERE") || token.Is("FROM") || token.Is("RETURNING") || token.Is("ORDER") || token.Is("LIMIT")))
                {
                    break;
                }
                else if (inSet && token.IsIdentifier)
                {
                    assigned.Add(new SqlTableName(null, false, token.Value, token.Kind == SqlTokenKind.QuotedIdentifier));
                }
            }
        }

        var name = parts[^1];
        var schema = parts.Count > 1 ? parts[^2] : (SqlToken?)null;
        var reference = alias is { } a ? sql[a.Start..a.End] : written;
        var outputAt = OutputPosition(tokens, alias is null ? i : i + (At(i, "AS") ? 2 : 1), end, analysis);
        if (dialect.TargetMayBeFromAlias && parts.Count == 1 && alias is null
            && FromAliased(tokens, i, end, name, dialect) is { } aliased)
        {
            // UPDATE [n] SET … FROM [Notes] AS [n] (EF Core's SQL Server shape): the target is the table the alias names.
            (schema, name) = aliased;
        }

        return new SqlCommandAnalysis
        {
            OutputAt = outputAt,
            SetListNames = assigned,
            Kind = analysis.Kind,
            Names = analysis.Names,
            MayTouchAnyTable = analysis.MayTouchAnyTable,
            HasReturning = analysis.HasReturning,
            End = analysis.End,
            Target = new SqlTableName(schema?.Value, schema is { Kind: not SqlTokenKind.Word }, name.Value, name.Kind != SqlTokenKind.Word),
            TargetReference = reference,
        };
    }

    /// <summary>
    /// Where T-SQL's <c>OUTPUT</c> clause goes in an UPDATE or DELETE whose target ends before token <paramref name="from"/>:
    /// before its first <c>FROM</c>, <c>WHERE</c> or <c>OPTION</c> outside parentheses (for an UPDATE, after the SET list), or
    /// at the end; the character offset of that place.
    /// </summary>
    private static int OutputPosition(IReadOnlyList<SqlToken> tokens, int from, int end, SqlCommandAnalysis analysis)
    {
        var depth = 0;
        var inSet = analysis.Kind != SqlStatementKind.Update;
        for (var k = from; k < end; k++)
        {
            var token = tokens[k];
            depth += token.Is('(') ? 1 : token.Is(')') ? -1 : 0;
            if (depth != 0)
            {
                continue;
            }

            if (token.Is("SET"))
            {
                inSet = true;
            }
            else if (inSet && (token.Is("FROM") || token.Is("WHERE") || token.Is("OPTION")))
            {
                return token.Start;
            }
        }

        return analysis.End;
    }

    /// <summary>
    /// The table a one-part UPDATE/DELETE target names as an alias of the statement's own <c>FROM</c> clause
    /// (<c>FROM [dbo].[Notes] AS [n]</c>, <c>FROM Notes n</c>), or <see langword="null"/> when no FROM item has that alias.
    /// </summary>
    private static (SqlToken? Schema, SqlToken Name)? FromAliased(IReadOnlyList<SqlToken> tokens, int from, int end, SqlToken target, SqlDialect dialect)
    {
        var depth = 0;
        var inFrom = false;
        for (var k = from; k < end; k++)
        {
            var token = tokens[k];
            depth += token.Is('(') ? 1 : token.Is(')') ? -1 : 0;
            if (depth != 0)
            {
                continue;
            }

            if (token.Is("FROM") || token.Is("JOIN") || token.Is(','))
            {
                inFrom = inFrom || token.Is("FROM");
                continue;
            }

            if (token.Is("WHERE") || token.Is("OPTION"))
            {
                break;
            }

            if (!inFrom || !token.IsIdentifier || (k > 0 && tokens[k - 1].Is('.')))
            {
                continue;
            }

            // A (qualified) name, then [AS] alias.
            var last = k;
            while (last + 2 < end && tokens[last + 1].Is('.') && tokens[last + 2].IsIdentifier)
            {
                last += 2;
            }

            var aliasAt = last + 1 < end && tokens[last + 1].Is("AS") ? last + 2 : last + 1;
            if (aliasAt < end && tokens[aliasAt].IsIdentifier
                && dialect.SameName(tokens[aliasAt].Value, tokens[aliasAt].Kind == SqlTokenKind.QuotedIdentifier, target.Value)
                && !(tokens[aliasAt].Kind == SqlTokenKind.Word && AfterTarget.Contains(tokens[aliasAt].Value)))
            {
                return (last > k ? tokens[last - 2] : null, tokens[last]);
            }

            k = last;
        }

        return null;
    }

    private static SqlCommandAnalysis Unclassified(IReadOnlyList<SqlTableName> names, string problem) =>
        new() { Kind = SqlStatementKind.Unclassified, Names = names, Problem = problem };

    /// <summary>
    /// Every name that may denote a table, with the name before it as its schema: identifiers, and on SQLite string
    /// literals where a table name belongs (<c>FROM 'Notes'</c>, <c>main.'Notes'</c>).
    /// </summary>
    private static List<SqlTableName> Names(IReadOnlyList<SqlToken> tokens, SqlDialect dialect)
    {
        var inFromList = dialect.StringLiteralsCanNameTables ? InFromList(tokens) : [];
        bool IsName(int i)
        {
            var token = tokens[i];
            if (token.IsIdentifier)
            {
                return true;
            }

            if (!dialect.StringLiteralsCanNameTables || token.Kind != SqlTokenKind.String)
            {
                return false;
            }

            var previous = i > 0 ? tokens[i - 1] : default;
            return previous.Is('.')
                || (previous.Is(',') && inFromList[i])
                || (previous.Kind == SqlTokenKind.Word && BeforeTableName.Contains(previous.Value))
                || (i + 1 < tokens.Count && tokens[i + 1].Is('.'))
                || ParenthesizedInFromList(i)
                || (i >= 3 && previous.Kind == SqlTokenKind.Word && ConflictResolutions.Contains(previous.Value) && tokens[i - 2].Is("OR") && tokens[i - 3].Is("UPDATE"));
        }

        // FROM ('Notes'), FROM ((('Notes' AS n))): a parenthesized join of one table, the parentheses opened in a FROM list.
        bool ParenthesizedInFromList(int i)
        {
            var open = i - 1;
            while (open >= 0 && tokens[open].Is('('))
            {
                open--;
            }

            return open < i - 1 && inFromList[open + 1];
        }

        var names = new List<SqlTableName>();
        var seen = new HashSet<SqlTableName>();
        for (var i = 0; i < tokens.Count; i++)
        {
            if (!IsName(i))
            {
                continue;
            }

            var token = tokens[i];
            var schema = i >= 2 && tokens[i - 1].Is('.') && IsName(i - 2) ? tokens[i - 2] : (SqlToken?)null;
            var name = new SqlTableName(schema?.Value, schema is { Kind: not SqlTokenKind.Word }, token.Value, token.Kind != SqlTokenKind.Word);
            if (seen.Add(name))
            {
                names.Add(name);
            }
        }

        return names;
    }

    /// <summary>For each token, whether it stands in a FROM list at its own parenthesis depth (<c>FROM a, b JOIN c ON …, d</c>).</summary>
    private static bool[] InFromList(IReadOnlyList<SqlToken> tokens)
    {
        var marks = new bool[tokens.Count];
        var outer = new Stack<bool>();
        var current = false;
        for (var i = 0; i < tokens.Count; i++)
        {
            marks[i] = current;
            var token = tokens[i];
            if (token.Is('('))
            {
                outer.Push(current);
                current = false;
            }
            else if (token.Is(')'))
            {
                current = outer.Count > 0 && outer.Pop();
            }
            else if (token.Is(';'))
            {
                outer.Clear();
                current = false;
            }
            else if (token.Is("FROM") || token.Is("JOIN"))
            {
                current = true;
            }
            else if (token.Kind == SqlTokenKind.Word && AfterFromList.Contains(token.Value))
            {
                current = false;
            }
        }

        return marks;
    }

    /// <summary>The statements of a command: token ranges between top-level semicolons, empty ones left out.</summary>
    private static List<(int Start, int End)> Statements(IReadOnlyList<SqlToken> tokens, out bool balanced)
    {
        var statements = new List<(int Start, int End)>();
        var depth = 0;
        var start = 0;
        balanced = true;
        for (var i = 0; i <= tokens.Count; i++)
        {
            if (i == tokens.Count || (depth == 0 && tokens[i].Is(';')))
            {
                if (i > start)
                {
                    statements.Add((start, i));
                }

                start = i + 1;
                continue;
            }

            depth += tokens[i].Is('(') ? 1 : tokens[i].Is(')') ? -1 : 0;
            balanced &= depth >= 0;
        }

        balanced &= depth == 0;
        return statements;
    }

    /// <summary>The main statement's keyword after a WITH list: the first SELECT/INSERT/UPDATE/… outside the CTEs' parentheses.</summary>
    private static int MainAfterWith(IReadOnlyList<SqlToken> tokens, int from, int end)
    {
        var depth = 0;
        for (var i = from; i < end; i++)
        {
            if (tokens[i].Is('('))
            {
                depth++;
            }
            else if (tokens[i].Is(')'))
            {
                if (--depth < 0)
                {
                    return -1;
                }
            }
            else if (depth == 0 && tokens[i].Kind == SqlTokenKind.Word && MainKeywords.Contains(tokens[i].Value))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Whether an INSERT/UPDATE/DELETE/MERGE opens a parenthesized part: a data-modifying CTE (PostgreSQL) or a subquery.</summary>
    private static bool NestedDataModification(IReadOnlyList<SqlToken> tokens, int start, int end)
    {
        for (var i = start; i < end; i++)
        {
            if (!tokens[i].Is('('))
            {
                continue;
            }

            var first = i + 1;
            while (first < end && tokens[first].Is('('))
            {
                first++;
            }

            if (first < end && tokens[first].Is("WITH"))
            {
                first = MainAfterWith(tokens, first + 1, end);
            }

            if (first >= 0 && first < end && tokens[first].Kind == SqlTokenKind.Word && DataModifying.Contains(tokens[first].Value))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="keyword"/> appears outside parentheses in the statement whose keyword is at <paramref name="main"/>.</summary>
    private static bool AtDepthZero(IReadOnlyList<SqlToken> tokens, int main, int end, string keyword)
    {
        var depth = 0;
        for (var i = main; i < end; i++)
        {
            depth += tokens[i].Is('(') ? 1 : tokens[i].Is(')') ? -1 : 0;
            if (depth == 0 && tokens[i].Is(keyword))
            {
                return true;
            }
        }

        return false;
    }

    private static SqlToken? FirstKeyword(IReadOnlyList<SqlToken> tokens, int start, int end)
    {
        for (var i = start; i < end; i++)
        {
            if (!tokens[i].Is('('))
            {
                return tokens[i];
            }
        }

        return null;
    }
}
