using Hipaa.EfCore.Auditing.Sql;

namespace Hipaa.EfCore.Tests.Auditing.Sql;

/// <summary>
/// A corpus of statements — quoted, unquoted, any case, schema-qualified, behind comments, in CTEs, with RETURNING,
/// several in one command, with literals that name tables or hold <c>;</c> and <c>--</c>, escaped quotes, dollar quotes —
/// and the PHI tables and action each must give (raw SQL rules, docs/audit.md).
/// </summary>
public sealed class SqlAnalyzerTests
{
    [Theory]
    // Spellings of a table name.
    [InlineData("sqlite", "SELECT * FROM Notes", "Notes", "Read")]
    [InlineData("sqlite", "select * from notes", "Notes", "Read")]
    [InlineData("sqlite", "SELECT * FROM NOTES", "Notes", "Read")]
    [InlineData("sqlite", "SELECT * FROM \"notes\"", "Notes", "Read")]
    [InlineData("sqlite", "SELECT * FROM main.Notes", "Notes", "Read")]
    [InlineData("sqlite", "SELECT * FROM \"main\".\"Notes\"", "Notes", "Read")]
    [InlineData("sqlite", "SELECT * FROM main . Notes", "Notes", "Read")]
    [InlineData("sqlite", "SELECT * FROM [Notes]", "Notes", "Read")]
    [InlineData("sqlite", "SELECT * FROM `Notes`", "Notes", "Read")]
    [InlineData("sqlite", "SELECT * FROM 'Notes'", "Notes", "Read")]
    [InlineData("sqlite", "SELECT * FROM main.'Notes'", "Notes", "Read")]
    [InlineData("sqlite", "SELECT * FROM lab_results, 'Patients'", "Patients,lab_results", "Read")]
    [InlineData("sqlite", "SELECT * FROM Notes AS a JOIN lab_results ON 1 = 1, 'Patients' AS b", "Notes,Patients,lab_results", "Read")]
    [InlineData("sqlite", "SELECT * FROM lab_results WHERE id IN 'Notes'", "Notes,lab_results", "Read")]
    [InlineData("sqlite", "SELECT 'Notes'.Title FROM lab_results", "Notes,lab_results", "Read")]
    [InlineData("sqlite", "SELECT 'Notes', 'Patients' FROM lab_results WHERE value IN ('Notes', 'Patients') ORDER BY 1, 'Notes'", "lab_results", "Read")]
    [InlineData("postgres", "SELECT * FROM lab_results", "lab_results", "Read")]
    [InlineData("postgres", "SELECT * FROM LAB_RESULTS", "lab_results", "Read")]
    [InlineData("postgres", "SELECT * FROM public.lab_results", "lab_results", "Read")]
    [InlineData("postgres", "SELECT * FROM \"public\".\"lab_results\"", "lab_results", "Read")]
    [InlineData("postgres", "SELECT * FROM public.\"Notes\"", "Notes", "Read")]
    [InlineData("postgres", "SELECT * FROM \"notes\"", "", "Read")]
    [InlineData("postgres", "SELECT * FROM \"Notes\" AS \"a\"\"b\"", "Notes", "Read")]
    [InlineData("postgres", "SELECT a$b FROM lab_results", "lab_results", "Read")]
    [InlineData("sqlite", "SELECT * FROM phi.Charts", "Charts", "Read")]
    [InlineData("sqlite", "SELECT * FROM Charts", "Charts", "Read")]
    [InlineData("sqlite", "SELECT * FROM archive.Charts", "", "Read")]
    [InlineData("postgres", "SELECT * FROM \"PHI\".\"Charts\"", "", "Read")]
    [InlineData("postgres", "SELECT * FROM PHI.charts", "Charts", "Read")]
    [InlineData("sqlite", "SELECT \"Notes\".\"Title\" FROM \"Notes\"", "Notes", "Read")]
    [InlineData("sqlite", "SELECT * FROM \"a\"\"b\" JOIN Notes ON 1 = 1", "Notes", "Read")]
    [InlineData("sqlite", "SELECT \"Notes\"\"\" FROM lab_results", "lab_results", "Read")]
    // Literals and comments are not references.
    [InlineData("sqlite", "SELECT 'Notes' FROM lab_results", "lab_results", "Read")]
    [InlineData("sqlite", "SELECT * FROM lab_results WHERE value = 'x FROM Notes'", "lab_results", "Read")]
    [InlineData("sqlite", "SELECT * FROM lab_results WHERE value = 'it''s; DELETE FROM Notes; --'", "lab_results", "Read")]
    [InlineData("sqlite", "SELECT * FROM lab_results WHERE value = 'a' || 'Notes'", "lab_results", "Read")]
    [InlineData("sqlite", "SELECT x'4E6F746573' FROM lab_results", "lab_results", "Read")]
    [InlineData("sqlite", "SELECT * FROM lab_results -- FROM Notes", "lab_results", "Read")]
    [InlineData("sqlite", "SELECT * FROM lab_results /* Notes */", "lab_results", "Read")]
    [InlineData("sqlite", "SELECT * FROM lab_results /* no end, Notes", "lab_results", "Read")]
    [InlineData("sqlite", "SELECT * FROM lab_results /* /* */ FROM Notes", "Notes,lab_results", "Read")]
    [InlineData("postgres", "SELECT * FROM lab_results /* nested /* \"Notes\" */ still a comment */", "lab_results", "Read")]
    [InlineData("postgres", "SELECT $$ FROM \"Notes\"; -- $$ FROM lab_results", "lab_results", "Read")]
    [InlineData("postgres", "SELECT $tag$ it's $$ \"Notes\" $x$ $tag$ FROM lab_results", "lab_results", "Read")]
    [InlineData("postgres", "SELECT E'\\' FROM \"Notes\" ' FROM lab_results", "lab_results", "Read")]
    [InlineData("postgres", "SELECT e'it''s \\\\' FROM lab_results", "lab_results", "Read")]
    [InlineData("postgres", "SELECT 'a\\' FROM \"Notes\"", "Notes", "Read")]
    [InlineData("postgres", "SELECT * FROM lab_results WHERE data ? 'Notes' AND x::text = $1", "lab_results", "Read")]
    [InlineData("sqlite", "SELECT * FROM \"Patients\" WHERE \"Id\" = @p0 AND x=@p1 OR y = ?1 OR z = :id OR w = $id", "Patients", "Read")]
    // What a statement does.
    [InlineData("sqlite", "UPDATE Notes SET Title = 'x'", "Notes", "Update")]
    [InlineData("sqlite", "update \"Notes\" set \"Title\" = 'x' -- trailing", "Notes", "Update")]
    [InlineData("sqlite", "/* leading */ DELETE FROM Notes;", "Notes", "Delete")]
    [InlineData("sqlite", "-- tag\n\nDELETE FROM \"Notes\" AS \"n\" WHERE \"n\".\"Title\" = 'B'", "Notes", "Delete")]
    [InlineData("sqlite", "INSERT INTO Notes (Title) VALUES ('x')", "Notes", "Insert")]
    [InlineData("sqlite", "INSERT OR REPLACE INTO lab_results VALUES (1)", "lab_results", "Insert")]
    [InlineData("sqlite", "REPLACE INTO lab_results VALUES (1)", "lab_results", "Insert")]
    [InlineData("sqlite", "UPDATE Notes SET Title = 'x' RETURNING PatientId", "Notes", "Update")]
    [InlineData("sqlite", "VALUES (1), (2)", "", "Read")]
    [InlineData("postgres", "TABLE lab_results", "lab_results", "Read")]
    [InlineData("postgres", "(SELECT * FROM lab_results) UNION (SELECT * FROM lab_results)", "lab_results", "Read")]
    [InlineData("postgres", "SELECT * FROM lab_results FOR UPDATE", "lab_results", "Read")]
    [InlineData("postgres", "DELETE FROM lab_results AS l USING \"Notes\" AS n WHERE n.\"PatientId\" = l.patient_id", "Notes,lab_results", "Delete")]
    [InlineData("postgres", "INSERT INTO lab_results (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET value = 'x'", "lab_results", "Insert")]
    [InlineData("postgres", "MERGE INTO lab_results l USING \"Notes\" n ON l.id = n.\"Id\" WHEN MATCHED THEN DELETE", "Notes,lab_results", "Other")]
    [InlineData("postgres", "TRUNCATE lab_results", "lab_results", "Other")]
    [InlineData("postgres", "COPY lab_results TO STDOUT", "lab_results", "Other")]
    [InlineData("sqlite", "PRAGMA table_info(Notes)", "Notes", "Other")]
    [InlineData("sqlite", "CREATE INDEX ix ON Notes (Title)", "Notes", "Other")]
    [InlineData("sqlite", "", "", "Other")]
    [InlineData("sqlite", "-- only a comment\n;", "", "Other")]
    // Common table expressions.
    [InlineData("sqlite", "WITH x AS (SELECT * FROM Notes) SELECT * FROM x", "Notes", "Read")]
    [InlineData("sqlite", "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM x) SELECT * FROM Patients", "Patients", "Read")]
    [InlineData("sqlite", "WITH a AS (SELECT Id FROM Patients) UPDATE Notes SET Title = 'x' WHERE PatientId IN (SELECT Id FROM a)", "Notes,Patients", "Update")]
    [InlineData("postgres", "WITH d AS MATERIALIZED (SELECT * FROM lab_results) SELECT * FROM d", "lab_results", "Read")]
    [InlineData("postgres", "WITH d AS (DELETE FROM lab_results RETURNING *) SELECT * FROM d", "lab_results", "Unclassified")]
    [InlineData("postgres", "WITH a AS (SELECT 1), d AS (WITH b AS (SELECT 2) UPDATE \"Notes\" SET \"Title\" = 'x' RETURNING 1) SELECT * FROM d", "Notes", "Unclassified")]
    [InlineData("postgres", "WITH x AS (SELECT 1)", "", "Unclassified")]
    // What cannot be classified: recorded as Execute on every PHI table it may touch.
    [InlineData("sqlite", "SELECT 1; DELETE FROM Notes", "Notes", "Unclassified")]
    [InlineData("sqlite", "SELECT * FROM Notes WHERE Title = 'a;b'; ", "Notes", "Read")]
    [InlineData("sqlite", ";;SELECT * FROM Notes;;", "Notes", "Read")]
    [InlineData("sqlite", "CREATE TRIGGER t AFTER INSERT ON lab_results BEGIN DELETE FROM Notes; END", "Notes,lab_results", "Unclassified")]
    [InlineData("sqlite", "EXPLAIN QUERY PLAN SELECT * FROM Notes", "Notes", "Unclassified")]
    [InlineData("sqlite", "FROB Notes", "Notes", "Unclassified")]
    [InlineData("postgres", "SELECT * INTO copy FROM \"Notes\"", "Notes", "Unclassified")]
    [InlineData("postgres", "SELECT * FROM (DELETE FROM lab_results RETURNING *) AS d", "lab_results", "Unclassified")]
    [InlineData("sqlite", "SELECT * FROM lab_results WHERE value = 'unterminated", "*", "Unclassified")]
    [InlineData("sqlite", "SELECT * FROM [lab_results", "*", "Unclassified")]
    [InlineData("sqlite", "SELECT * FROM \"lab_results", "*", "Unclassified")]
    [InlineData("sqlite", "SELECT (1 FROM Notes", "*", "Unclassified")]
    [InlineData("sqlite", "VACUUM INTO '/tmp/copy.db'", "*", "Other")]
    [InlineData("postgres", "SELECT * FROM lab_results /* unterminated", "*", "Unclassified")]
    [InlineData("postgres", "SELECT $q$ unterminated FROM lab_results", "*", "Unclassified")]
    [InlineData("postgres", "SELECT * FROM U&\"lab\\005fresults\"", "*", "Unclassified")]
    [InlineData("postgres", "DO $$ BEGIN DELETE FROM lab_results; END $$", "*", "Unclassified")]
    [InlineData("postgres", "CALL purge_everything()", "*", "Unclassified")]
    [InlineData("postgres", "SELECT 1; EXECUTE purge", "*", "Unclassified")]
    public void Analyze_Corpus_FindsTheTablesAndWhatTheStatementDoes(string dialect, string sql, string tables, string kind)
    {
        var sqlDialect = SqlCorpus.Dialect(dialect);
        var analysis = SqlAnalyzer.Analyze(sql, sqlDialect);

        Assert.Equal((tables, kind), (SqlCorpus.Touched(analysis, sqlDialect), analysis.Kind.ToString()));
        Assert.Equal(kind == nameof(SqlStatementKind.Unclassified) || tables == "*", analysis.Problem is not null || analysis.MayTouchAnyTable);
    }

    [Theory]
    [InlineData("sqlite", "UPDATE \"Notes\" SET \"Title\" = 'x' -- trailing", "Notes", "\"Notes\"", "UPDATE \"Notes\" SET \"Title\" = 'x'")]
    [InlineData("sqlite", "UPDATE \"Notes\" AS \"n\" SET \"Title\" = @p FROM \"Patients\" AS \"p\" WHERE \"n\".\"PatientId\" = \"p\".\"Id\"", "Notes", "\"n\"", null)]
    [InlineData("postgres", "UPDATE \"Notes\" AS n\nSET \"Title\" = @p\nFROM \"Patients\" AS p\nWHERE n.\"PatientId\" = p.\"Id\"\n", "Notes", "n", "UPDATE \"Notes\" AS n\nSET \"Title\" = @p\nFROM \"Patients\" AS p\nWHERE n.\"PatientId\" = p.\"Id\"")]
    [InlineData("sqlite", "DELETE FROM main.Notes WHERE 1 = 1; -- done\n", "main.Notes", "main.Notes", "DELETE FROM main.Notes WHERE 1 = 1")]
    [InlineData("sqlite", "UPDATE Notes n SET Title = 'x' /* a */ ;  \n\t", "Notes", "n", "UPDATE Notes n SET Title = 'x'")]
    [InlineData("sqlite", "UPDATE OR IGNORE Notes SET Title = 'x'", "Notes", "Notes", null)]
    [InlineData("postgres", "UPDATE ONLY public.lab_results * SET value = 'x'", "public.lab_results", "public.lab_results", null)]
    [InlineData("postgres", "DELETE FROM lab_results WHERE value = 'a -- b' /* c */", "lab_results", "lab_results", "DELETE FROM lab_results WHERE value = 'a -- b'")]
    [InlineData("sqlite", "WITH a AS (SELECT 1) DELETE FROM Notes /* c */ ;", "Notes", "Notes", "WITH a AS (SELECT 1) DELETE FROM Notes")]
    [InlineData("sqlite", "/* leading */ -- and another\nDELETE FROM [Notes]", "Notes", "[Notes]", null)]
    public void Analyze_SingleUpdateOrDelete_KnowsItsTargetAndWhereReturningGoes(string dialect, string sql, string target, string reference, string? prefix)
    {
        var analysis = SqlAnalyzer.Analyze(sql, SqlCorpus.Dialect(dialect));

        Assert.True(analysis.CanAppendReturning);
        Assert.Equal(target, analysis.Target!.ToString());
        Assert.Equal(reference, analysis.TargetReference);
        Assert.Equal(prefix ?? sql, sql[..analysis.End]);
    }

    [Theory]
    [InlineData("UPDATE Notes SET Title = 'x' RETURNING *")]
    [InlineData("DELETE FROM Notes RETURNING \"PatientId\"")]
    [InlineData("INSERT INTO Notes (Title) VALUES ('x')")]
    [InlineData("SELECT 1; UPDATE Notes SET Title = 'x'")]
    [InlineData("UPDATE Notes SET Title = (SELECT 1); DELETE FROM Notes")]
    [InlineData("SELECT * FROM Notes")]
    [InlineData("DELETE Notes")]
    public void Analyze_StatementsThatAreNotASingleUpdateOrDeleteWithoutReturning_AreNotGivenOne(string sql)
    {
        Assert.False(SqlAnalyzer.Analyze(sql, SqlDialect.Sqlite).CanAppendReturning);
    }
}
