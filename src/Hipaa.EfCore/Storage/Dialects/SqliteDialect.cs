using System.Globalization;
using Hipaa.EfCore.Auditing.Sql;
using Hipaa.Encryption;

namespace Hipaa.EfCore.Storage.Dialects;

/// <summary>
/// SQLite (Microsoft.Data.Sqlite): in-process, one writer at a time for the whole database, <c>RETURNING</c> from 3.35
/// (not qualified by the target's alias), times stored as text, WAL checkpoints managed by the SDK's own connections.
/// </summary>
internal sealed class SqliteDialect : DatabaseDialect
{
    private SqliteDialect()
    {
    }

    /// <summary>Gets the one instance.</summary>
    public static SqliteDialect Instance { get; } = new();

    /// <inheritdoc />
    public override string Name => "SQLite";

    /// <inheritdoc />
    public override string ProviderName => SqliteProviderName;

    /// <inheritdoc />
    public override SqlDialect Lexer => SqlDialect.Sqlite;

    /// <inheritdoc />
    /// <remarks>SQLite's default limit is 32,766 host parameters; the SDK inserts row by row here anyway (<see cref="InsertsRowByRow"/>).</remarks>
    public override int MaxParametersPerStatement => 2_000;

    /// <inheritdoc />
    public override bool InsertsRowByRow => true;

    /// <inheritdoc />
    public override bool HasDatabaseWriteLock => true;

    /// <inheritdoc />
    /// <remarks>Microsoft.Data.Sqlite begins every transaction that is not ReadUncommitted with <c>BEGIN IMMEDIATE</c>: the transaction already holds the database's RESERVED (write) lock.</remarks>
    public override string? ChainLockStatement => null;

    /// <inheritdoc />
    /// <remarks>Served by ix_hipaa_audit_chain_position; SQLite is told so: with statistics gathered while most rows were unsealed it would otherwise scan the whole table in id order.</remarks>
    public override string? PendingRecordsQuery =>
        "SELECT * FROM hipaa_audit INDEXED BY ix_hipaa_audit_chain_position WHERE chain_position IS NULL ORDER BY id LIMIT {0}";

    /// <inheritdoc />
    public override bool StoresTimesAsText => true;

    /// <inheritdoc />
    public override bool CompactsKeyTable => true;

    /// <inheritdoc />
    public override string? ReclaimSpaceStatement => "VACUUM";

    /// <inheritdoc />
    public override string? JournalModeQuery => "PRAGMA journal_mode";

    /// <inheritdoc />
    public override string? PassiveCheckpointStatement => "PRAGMA wal_checkpoint(PASSIVE)";

    /// <inheritdoc />
    public override string? DisableAutomaticCheckpointsStatement => "PRAGMA wal_autocheckpoint = 0";

    /// <inheritdoc />
    public override string? BusyTimeoutStatement(int seconds) =>
        string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {Math.Min(seconds, int.MaxValue / 1000) * 1000}");

    /// <inheritdoc />
    /// <remarks>SQLite's <c>RETURNING</c> sees only the target and rejects its alias, so the column is not qualified.</remarks>
    public override string? WithReturnedColumn(string sql, SqlCommandAnalysis analysis, string delimitedColumn) =>
        sql[..analysis.End] + " RETURNING " + delimitedColumn;

    /// <inheritdoc />
    public override string KeyIdOf(string column) => $"substr({column}, {FieldCiphertext.KeyIdOffset + 1}, {FieldCiphertext.KeyIdSize})";

    /// <inheritdoc />
    public override string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
