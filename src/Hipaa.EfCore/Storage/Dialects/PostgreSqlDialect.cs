using System.Globalization;
using Hipaa.EfCore.Auditing.Sql;
using Hipaa.Encryption;

namespace Hipaa.EfCore.Storage.Dialects;

/// <summary>
/// PostgreSQL (Npgsql): a transaction-scoped advisory lock for the audit chain, <c>RETURNING</c> qualified by the target's
/// alias, <c>substring(… from … for …)</c> of a <c>bytea</c>, <c>LOCK TABLE</c>, VACUUM FULL for the key table.
/// </summary>
internal sealed class PostgreSqlDialect : DatabaseDialect
{
    /// <summary>The key of the audit chain's advisory lock: "hipaaud1" in ASCII, read as a big-endian 64-bit integer.</summary>
    public const long AdvisoryLockKey = 0x6869_7061_6175_6431;

    private PostgreSqlDialect()
    {
    }

    /// <summary>Gets the one instance.</summary>
    public static PostgreSqlDialect Instance { get; } = new();

    /// <inheritdoc />
    public override string Name => "PostgreSQL";

    /// <inheritdoc />
    public override string ProviderName => PostgreSqlProviderName;

    /// <inheritdoc />
    public override SqlDialect Lexer => SqlDialect.PostgreSql;

    /// <inheritdoc />
    /// <remarks>PostgreSQL's limit is 65,535; the audit writer's chunks (at most 256 rows) stay below this one, as they did.</remarks>
    public override int MaxParametersPerStatement => 60_000;

    /// <inheritdoc />
    public override string? ChainLockStatement { get; } =
        string.Create(CultureInfo.InvariantCulture, $"SELECT pg_advisory_xact_lock({AdvisoryLockKey})");

    /// <inheritdoc />
    public override bool CompactsKeyTable => true;

    /// <inheritdoc />
    /// <remarks>The target may share the column's name with a <c>FROM</c>/<c>USING</c> table, so the column is qualified by the target's alias.</remarks>
    public override string? WithReturnedColumn(string sql, SqlCommandAnalysis analysis, string delimitedColumn) =>
        sql[..analysis.End] + " RETURNING " + analysis.TargetReference + "." + delimitedColumn;

    /// <inheritdoc />
    public override string KeyIdOf(string column) => $"substring({column} from {FieldCiphertext.KeyIdOffset + 1} for {FieldCiphertext.KeyIdSize})";

    /// <inheritdoc />
    public override string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <inheritdoc />
    public override string? LockTablesStatement(IReadOnlyList<string> tables) =>
        $"LOCK TABLE {string.Join(", ", tables)} IN ACCESS EXCLUSIVE MODE";
}
