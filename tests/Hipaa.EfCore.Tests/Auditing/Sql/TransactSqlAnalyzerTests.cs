using Hipaa.EfCore.Auditing.Sql;
using Hipaa.EfCore.Tests.Storage.Dialects;
using Microsoft.SqlServer.TransactSql.ScriptDom;

namespace Hipaa.EfCore.Tests.Auditing.Sql;

/// <summary>
/// The raw-SQL lexer on T-SQL an attacker (or a careless caller of ExecuteSql/FromSql) types on SQL Server: bracket
/// identifiers with <c>]]</c> escapes, <c>N'…'</c> literals, nested block comments, statements without semicolons, bare
/// procedure calls. Each expected answer is checked against SQL Server 2022's own grammar too: every table ScriptDom's
/// parse tree names must be among the PHI tables the lexer found (it may find more — it over-approximates — never fewer).
/// </summary>
public sealed class TransactSqlAnalyzerTests
{
    [Theory]
    [InlineData("SELECT * FROM [dbo].[Notes]", "Notes", "Read")]
    [InlineData("SELECT * FROM [notes]", "Notes", "Read")] // default collations ignore case, quoted or not
    [InlineData("SELECT * FROM dbo.NOTES", "Notes", "Read")]
    [InlineData("SELECT * FROM [hipaa_db].[dbo].[Notes]", "Notes", "Read")]
    [InlineData("SELECT * FROM \"Notes\"", "Notes", "Read")]
    [InlineData("SELECT N'x' AS [a]]b], * FROM [Notes]", "Notes", "Read")]
    [InlineData("SELECT N'FROM [Notes]' AS x FROM [lab_results]", "lab_results", "Read")] // a table named in a literal is not read
    [InlineData("SELECT 1 AS x /* FROM [Notes] */ FROM [lab_results]", "lab_results", "Read")]
    [InlineData("SELECT 1 /* outer /* inner */ FROM [lab_results] */ FROM [Notes]", "Notes", "Read")] // T-SQL block comments nest
    [InlineData("SELECT 1 AS x -- FROM [lab_results]\r\nFROM [Notes]", "Notes", "Read")]
    [InlineData("SELECT * FROM [Not]]es]", "", "Read")] // the table Not]es, not Notes
    [InlineData("SELECT * FROM [phi].[Charts] WITH (NOLOCK)", "Charts", "Read")]
    [InlineData("SELECT * FROM [Notes] ORDER BY [Id] OFFSET 10 ROWS FETCH NEXT 5 ROWS ONLY", "Notes", "Read")]
    [InlineData("SELECT [Id] FROM [lab_results] UNION ALL SELECT [Id] FROM [Notes]", "Notes,lab_results", "Read")]
    [InlineData("SELECT 1 AS x FROM [lab_results] DELETE FROM [Notes]", "Notes,lab_results", "Unclassified")] // two statements, no semicolon
    [InlineData("UPDATE [lab_results] SET [x] = 1 DELETE FROM [Notes]", "Notes,lab_results", "Unclassified")]
    [InlineData("INSERT INTO [Notes] ([Id]) SELECT [Id] FROM [lab_results]", "Notes,lab_results", "Insert")]
    [InlineData("INSERT INTO [lab_results] ([Id]) EXEC sp_executesql N'SELECT [Id] FROM [Notes]'", "*", "Unclassified")]
    [InlineData("sp_executesql N'SELECT * FROM [Notes]'", "*", "Unclassified")] // a bare procedure call at the start of a batch
    [InlineData("EXEC (N'SELECT * FROM [No' + N'tes]')", "*", "Unclassified")]
    [InlineData("DECLARE @t sysname = N'Notes'; EXEC (N'SELECT * FROM ' + @t)", "*", "Unclassified")]
    [InlineData("UPDATE [n] SET [n].[Title] = N'x' FROM [Notes] AS [n] WHERE [n].[Id] = 1", "Notes", "Update")]
    [InlineData("DELETE FROM [n] FROM [Notes] AS [n] WHERE [n].[Id] = 1", "Notes", "Delete")]
    [InlineData("MERGE [Notes] AS t USING [lab_results] AS s ON t.[Id] = s.[Id] WHEN MATCHED THEN DELETE;", "Notes,lab_results", "Other")]
    public void Analyze_TransactSql_FindsEveryPhiTableTheServerWouldRead(string sql, string tables, string kind)
    {
        var analysis = SqlAnalyzer.Analyze(sql, SqlDialect.TransactSql);

        Assert.Equal((tables, kind), (SqlCorpus.Touched(analysis, SqlDialect.TransactSql), analysis.Kind.ToString()));
        if (tables != "*")
        {
            var phi = SqlCorpus.Tables.Select(t => t.Table.ToUpperInvariant()).ToHashSet();
            var read = TransactSqlParse.NamedTables(TransactSqlParse.Parse(sql)).Where(phi.Contains);
            Assert.All(read, t => Assert.Contains(t, tables.ToUpperInvariant().Split(','), StringComparer.Ordinal));
        }
    }

    [Theory]
    [InlineData("UPDATE [n] SET [n].[Title] = N'x' FROM [Notes] AS [n] WHERE [n].[Id] = 1", "Notes", "[n]")]
    [InlineData("UPDATE n SET Title = N'x' FROM dbo.Notes n JOIN lab_results r ON r.Id = n.Id", "dbo.Notes", "n")]
    [InlineData("DELETE FROM [n] FROM [phi].[Charts] AS [n] WHERE [n].[Id] = 1", "phi.Charts", "[n]")]
    [InlineData("UPDATE [Notes] SET [Title] = N'x' FROM [Notes] JOIN [lab_results] ON 1 = 1", "Notes", "[Notes]")]
    public void Analyze_UpdateOrDeleteOfAFromAlias_TargetsTheAliasedTable(string sql, string target, string reference)
    {
        var analysis = SqlAnalyzer.Analyze(sql, SqlDialect.TransactSql);

        Assert.True(analysis.CanAppendReturning);
        Assert.Equal(target, analysis.Target!.ToString());
        Assert.Equal(reference, analysis.TargetReference);
        Assert.True(sql[analysis.OutputAt..].StartsWith("FROM", StringComparison.Ordinal), sql[analysis.OutputAt..]);
    }

    [Fact]
    public void Tokenize_TransactSqlLiteralsAndBrackets_KeepsThemWhole()
    {
        var tokens = SqlTokenizer.Tokenize("SELECT N'it''s', [a]]b], n'x' FROM t", SqlDialect.TransactSql).Tokens;

        Assert.Equal(
            [(SqlTokenKind.String, "it's"), (SqlTokenKind.QuotedIdentifier, "a]b"), (SqlTokenKind.String, "x")],
            tokens.Where(t => t.Kind is SqlTokenKind.String or SqlTokenKind.QuotedIdentifier).Select(t => (t.Kind, t.Value)));
    }

    [Theory]
    [InlineData("SELECT * FROM [Notes")]
    [InlineData("SELECT N'x FROM [Notes]")]
    [InlineData("SELECT 1 /* /* */ FROM [Notes]")]
    public void Analyze_UnterminatedTransactSql_MayTouchAnyTable(string sql)
    {
        var analysis = SqlAnalyzer.Analyze(sql, SqlDialect.TransactSql);

        Assert.True(analysis.MayTouchAnyTable);
        Assert.NotNull(analysis.Problem);

        // (SQL Server refuses these too.)
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(sql);
        parser.Parse(reader, out var errors);
        Assert.NotEmpty(errors);
    }
}
