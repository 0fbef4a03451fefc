using System.Data.Common;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// Inserts audit rows on a given connection and transaction (a bulk command's own), with EF Core's type mappings of the
/// application's model, so values are stored exactly as EF would store them.
/// </summary>
internal static class AuditSqlInserter
{
    /// <summary>
    /// Rows per statement: a statement takes at most 32,766 parameters on SQLite and 65,535 on PostgreSQL, and a bulk
    /// statement over thousands of patients writes a record (23 values) for each. SQLite's is kept small because
    /// Microsoft.Data.Sqlite binds parameters by name, which costs O(n²) in a statement's parameter count.
    /// </summary>
    private const int SqliteRowsPerStatement = 16;

    private const int RowsPerStatement = 256;

    public static async Task InsertAsync(DbContext context, DbConnection connection, DbTransaction? transaction, IReadOnlyList<AuditEntry> entries, bool async, CancellationToken cancellationToken)
    {
        var entityType = context.Model.FindEntityType(typeof(AuditEntry))
            ?? throw new InvalidOperationException("The audit table is not in this context's model; UseHipaa with AddQueryAuditing adds it.");
        var sql = context.GetService<ISqlGenerationHelper>();
        var properties = entityType.GetProperties().Where(p => !p.IsPrimaryKey()).ToList();
        var chunk = context.Database.ProviderName == "Microsoft.EntityFrameworkCore.Sqlite" ? SqliteRowsPerStatement : RowsPerStatement;
        for (var offset = 0; offset < entries.Count; offset += chunk)
        {
            await InsertChunkAsync(sql, entityType, properties, connection, transaction, entries, offset, Math.Min(chunk, entries.Count - offset), async, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task InsertChunkAsync(
        ISqlGenerationHelper sql,
        Microsoft.EntityFrameworkCore.Metadata.IEntityType entityType,
        List<Microsoft.EntityFrameworkCore.Metadata.IProperty> properties,
        DbConnection connection,
        DbTransaction? transaction,
        IReadOnlyList<AuditEntry> entries,
        int offset,
        int count,
        bool async,
        CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var text = new StringBuilder("INSERT INTO ")
            .Append(sql.DelimitIdentifier(entityType.GetTableName()!, entityType.GetSchema()))
            .Append(" (")
            .AppendJoin(", ", properties.Select(p => sql.DelimitIdentifier(p.GetColumnName())))
            .Append(") VALUES ");
        for (var row = 0; row < count; row++)
        {
            text.Append(row == 0 ? "(" : ", (");
            for (var column = 0; column < properties.Count; column++)
            {
                var property = properties[column];
                var name = $"@hipaa_{row}_{column}";
                text.Append(column == 0 ? string.Empty : ", ").Append(name);
                var mapping = (RelationalTypeMapping)property.GetRelationalTypeMapping();
                command.Parameters.Add(mapping.CreateParameter(command, name, property.PropertyInfo!.GetValue(entries[offset + row]), property.IsNullable));
            }

            text.Append(')');
        }

        command.CommandText = text.ToString();
        if (async)
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            command.ExecuteNonQuery();
        }
    }
}
