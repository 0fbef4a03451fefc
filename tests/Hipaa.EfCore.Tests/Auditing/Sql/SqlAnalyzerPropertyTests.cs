using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Hipaa.EfCore.Auditing.Sql;

namespace Hipaa.EfCore.Tests.Auditing.Sql;

/// <summary>Laws of the raw SQL analysis: what separates tokens never matters, and nothing inside a literal or comment is a table.</summary>
public sealed class SqlAnalyzerPropertyTests
{
    private const int Runs = 1000;

    /// <summary>Statements of the corpus that tokenize without a problem (and without U&amp;, whose meaning depends on adjacency).</summary>
    private static readonly (string Dialect, string Sql)[] s_statements =
    [
        ("sqlite", "SELECT value AS Value FROM lab_results WHERE value <> 'it''s -- \"Notes\"; DELETE'"),
        ("sqlite", "UPDATE \"Notes\" AS \"n\" SET \"Title\" = @p FROM \"Patients\" AS \"p\" WHERE \"n\".\"PatientId\" = \"p\".\"Id\""),
        ("sqlite", "DELETE FROM main.Notes WHERE Title = 'a;b' RETURNING PatientId"),
        ("sqlite", "SELECT * FROM [lab_results] JOIN `Patients` ON 1=1, main.'Notes'"),
        ("sqlite", "WITH a AS (SELECT Id FROM Patients) UPDATE Notes SET Title = 'x' WHERE PatientId IN (SELECT Id FROM a)"),
        ("sqlite", "SELECT 1; DELETE FROM Notes"),
        ("sqlite", "INSERT OR REPLACE INTO lab_results (id, value) VALUES (?1, :v)"),
        ("sqlite", "SELECT x'4E6F746573', -1.5e-3 FROM phi.Charts WHERE a<>b||c"),
        ("postgres", "SELECT $$ FROM \"Notes\" $$, $t$ ' $t$ FROM public.lab_results WHERE d ? 'k' AND x::int = $1"),
        ("postgres", "WITH d AS (DELETE FROM lab_results RETURNING *) SELECT count(*)::int AS \"Value\" FROM d"),
        ("postgres", "UPDATE ONLY \"Notes\" * AS n SET \"Title\" = E'\\'' FROM \"Patients\" AS p WHERE n.\"PatientId\" = p.\"Id\""),
        ("postgres", "DO $$ BEGIN DELETE FROM lab_results; END $$"),
        ("postgres", "SELECT * INTO copy FROM \"Notes\""),
        ("postgres", "TABLE lab_results"),
    ];

    private static readonly string[] s_separators = [" ", "\n", "\t ", " /* c */ ", " -- c\n", "\r\n  ", " /* \"Notes\" 'x' */ ", " -- DELETE FROM Notes;\n"];

    /// <summary>Text that names tables and looks like SQL, to hide inside literals and comments.</summary>
    private static readonly string[] s_fragments =
    [
        "Notes", "\"Notes\"", "[Patients]", "`lab_results`", "main.Notes", "public.\"Notes\"", ";", "--", "/*", "*/", "'", "\"", "$$", "$q", "\\",
        " ", "\n", "DELETE FROM Notes", "UPDATE Patients SET", "phi.Charts", "x", "é",
    ];

    [Property(MaxTest = Runs)]
    public Property Analyze_CommentsAndWhitespaceBetweenTokens_NeverChangeTheResult() =>
        Prop.ForAll(
            (from statement in Gen.Elements(s_statements)
             from separators in Gen.ArrayOf(Gen.Elements(s_separators), 64)
             select (statement.Dialect, statement.Sql, Separators: separators)).ToArbitrary(),
            generated =>
            {
                var dialect = SqlCorpus.Dialect(generated.Dialect);
                var tokens = SqlTokenizer.Tokenize(generated.Sql, dialect).Tokens;
                var respaced = string.Concat(tokens.Select((t, i) => generated.Sql[t.Start..t.End] + generated.Separators[i % generated.Separators.Length]));
                var before = SqlAnalyzer.Analyze(generated.Sql, dialect);
                var after = SqlAnalyzer.Analyze(respaced, dialect);

                Assert.Equal(
                    (before.Kind, before.MayTouchAnyTable, before.HasReturning, before.CanAppendReturning, before.Target),
                    (after.Kind, after.MayTouchAnyTable, after.HasReturning, after.CanAppendReturning, after.Target));
                Assert.Equal(before.Names, after.Names);
                Assert.Equal(SqlCorpus.Touched(before, dialect), SqlCorpus.Touched(after, dialect));
            });

    [Property(MaxTest = Runs)]
    public Property Analyze_TableNamesInsideAStringLiteral_AreNeverReported() =>
        Prop.ForAll(
            (from dialect in Gen.Elements("sqlite", "postgres")
             from parts in Gen.ListOf(Gen.Elements(s_fragments))
             select (dialect, Text: string.Concat(parts))).ToArbitrary(),
            generated =>
            {
                var dialect = SqlCorpus.Dialect(generated.dialect);
                var quoted = "'" + generated.Text.Replace("'", "''", StringComparison.Ordinal) + "'";
                var literals = new List<string> { quoted };
                if (generated.dialect == "postgres" && !generated.Text.Contains("$q$", StringComparison.Ordinal) && !generated.Text.EndsWith("$q", StringComparison.Ordinal))
                {
                    literals.Add("$q$" + generated.Text + "$q$");
                }

                foreach (var literal in literals)
                {
                    var analysis = SqlAnalyzer.Analyze($"SELECT value FROM lab_results WHERE value = {literal} OR value IN ({literal}, {literal})", dialect);
                    Assert.Equal((SqlStatementKind.Read, "lab_results"), (analysis.Kind, SqlCorpus.Touched(analysis, dialect)));
                }
            });

    [Property(MaxTest = Runs)]
    public Property Analyze_TableNamesInsideAComment_AreNeverReported() =>
        Prop.ForAll(
            (from dialect in Gen.Elements("sqlite", "postgres")
             from parts in Gen.ListOf(Gen.Elements(s_fragments))
             select (dialect, Text: string.Concat(parts))).ToArbitrary(),
            generated =>
            {
                var dialect = SqlCorpus.Dialect(generated.dialect);
                var line = generated.Text.Replace("\n", " ", StringComparison.Ordinal);
                var block = generated.Text.Replace("*/", "* /", StringComparison.Ordinal).Replace("/*", "/ *", StringComparison.Ordinal);
                block = block.EndsWith('/') || block.EndsWith('*') ? block + " " : block;
                foreach (var sql in new[] { $"SELECT value FROM lab_results -- {line}", $"/*{block}*/ SELECT value /*{block}*/ FROM lab_results /*{block}*/" })
                {
                    var analysis = SqlAnalyzer.Analyze(sql, dialect);
                    Assert.Equal((SqlStatementKind.Read, "lab_results"), (analysis.Kind, SqlCorpus.Touched(analysis, dialect)));
                }
            });
}
