using Hipaa.EfCore.Auditing.Sql;
using Hipaa.Encryption;

namespace Hipaa.EfCore.Storage.Dialects;

/// <summary>
/// SQL Server (Microsoft.Data.SqlClient), preview: the audit chain's lock is an application lock owned by the transaction
/// (<c>sp_getapplock</c>), statements carry at most 2,000 parameters (the server's limit is 2,100), a bulk write returns
/// its patients with <c>OUTPUT inserted.…</c>/<c>OUTPUT deleted.…</c> placed before its <c>FROM</c>/<c>WHERE</c>, and
/// text compares under the column's collation (by default without regard to case). Its statements are checked by
/// parsing them with the T-SQL parser (Microsoft.SqlServer.TransactSql.ScriptDom); none has run against a live server
/// in the SDK's CI.
/// </summary>
internal sealed class SqlServerDialect : DatabaseDialect
{
    /// <summary>The resource name of the audit chain's application lock.</summary>
    public const string ChainLockResource = "hipaa_audit_chain";

    private SqlServerDialect()
    {
    }

    /// <summary>Gets the one instance.</summary>
    public static SqlServerDialect Instance { get; } = new();

    /// <inheritdoc />
    public override string Name => "SQL Server";

    /// <inheritdoc />
    public override string ProviderName => SqlServerProviderName;

    /// <inheritdoc />
    public override bool IsPreview => true;

    /// <inheritdoc />
    public override SqlDialect Lexer => SqlDialect.TransactSql;

    /// <inheritdoc />
    public override int MaxParametersPerStatement => 2_000;

    /// <inheritdoc />
    /// <remarks>
    /// Waits without a time limit (as PostgreSQL's advisory lock does; the command timeout still applies) and fails the
    /// transaction when the lock is not granted (a negative result: timeout, deadlock victim, cancelled, error).
    /// </remarks>
    public override string? ChainLockStatement { get; } =
        "DECLARE @hipaa_lock int;\n"
        + $"EXEC @hipaa_lock = sp_getapplock @Resource = N'{ChainLockResource}', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = -1;\n"
        + "IF @hipaa_lock < 0 THROW 51000, N'Hipaa.Sdk: the audit chain lock (sp_getapplock) was not granted.', 1;";

    /// <inheritdoc />
    public override bool ComparesTextOrdinally => false;

    /// <inheritdoc />
    /// <remarks>
    /// <c>UPDATE t SET … OUTPUT inserted.c FROM … WHERE …</c> and <c>DELETE FROM t OUTPUT deleted.c FROM … WHERE …</c>:
    /// T-SQL takes the clause after the SET list or the target, not at the end. The pseudo-table is not qualified by the
    /// target's alias. An UPDATE that assigns the patient id column is never given the clause (see PhiTableSet), so
    /// <c>inserted</c> holds the same patient as <c>deleted</c>. (A table with an enabled trigger refuses OUTPUT without
    /// INTO; the bulk write then fails, and nothing is written unaudited.)
    /// </remarks>
    public override string? WithReturnedColumn(string sql, SqlCommandAnalysis analysis, string delimitedColumn)
    {
        if (analysis.OutputAt < 0 || analysis.OutputAt > analysis.End)
        {
            return null;
        }

        var table = analysis.Kind == SqlStatementKind.Delete ? "deleted" : "inserted";
        var before = sql[..analysis.OutputAt].TrimEnd();
        var after = sql[analysis.OutputAt..analysis.End];
        return before + " OUTPUT " + table + "." + delimitedColumn + (after.Length == 0 ? string.Empty : " " + after);
    }

    /// <inheritdoc />
    public override string FirstRows(string orderBy, int rows) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $" ORDER BY {orderBy} OFFSET 0 ROWS FETCH NEXT {rows} ROWS ONLY");

    /// <inheritdoc />
    public override string KeyIdOf(string column) => $"SUBSTRING({column}, {FieldCiphertext.KeyIdOffset + 1}, {FieldCiphertext.KeyIdSize})";

    /// <inheritdoc />
    public override string QuoteIdentifier(string name) => "[" + name.Replace("]", "]]", StringComparison.Ordinal) + "]";

    /// <inheritdoc />
    /// <remarks>A table lock held to the end of the transaction (TABLOCKX with HOLDLOCK), taken by reading no row.</remarks>
    public override string? LockTablesStatement(IReadOnlyList<string> tables) =>
        string.Join(" ", tables.Select(t => $"SELECT TOP (0) 1 FROM {QuoteIdentifier(t)} WITH (TABLOCKX, HOLDLOCK);"));
}
