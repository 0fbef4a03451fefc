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
    public static async Task InsertAsync(DbContext context, DbConnection connection, DbTransaction? transaction, IReadOnlyList<AuditEntry> entries, bool async, CancellationToken cancellationToken)
    {
        var entityType = context.Model.FindEntityType(typeof(AuditEntry))
            ?? throw new InvalidOperationException("The audit table is not in this context's model; UseHipaa with AddQueryAuditing adds it.");
        var sql = context.GetService<ISqlGenerationHelper>();
        var properties = entityType.GetProperties().Where(p => !p.IsPrimaryKey()).ToList();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var text = new StringBuilder("INSERT INTO ")
            .Append(sql.DelimitIdentifier(entityType.GetTableName()!, entityType.GetSchema()))
            .Append(" (")
            .AppendJoin(", ", properties.Select(p => sql.DelimitIdentifier(p.GetColumnName())))
            .Append(") VALUES ");
        for (var row = 0; row < entries.Count; row++)
        {
            text.Append(row == 0 ? "(" : ", (");
            for (var column = 0; column < properties.Count; column++)
            {
                var property = properties[column];
                var name = $"@hipaa_{row}_{column}";
                text.Append(column == 0 ? string.Empty : ", ").Append(name);
                var mapping = (RelationalTypeMapping)property.GetRelationalTypeMapping();
                command.Parameters.Add(mapping.CreateParameter(command, name, property.PropertyInfo!.GetValue(entries[row]), property.IsNullable));
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
