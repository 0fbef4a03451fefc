using System.Data.Common;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>
/// Writes the chain columns of just-sealed rows (position, previous hash, hash, sealed_at) inside the sealer's transaction,
/// with one <c>UPDATE … WHERE id = …</c> per row: prepared once and run per row where the provider has no command batching
/// (SQLite, in-process), in <see cref="DbBatch"/>es of <see cref="RowsPerBatch"/> where it has (PostgreSQL: one round trip
/// each). Parameters are made by EF Core's type mappings of the audit model, so values are stored exactly as
/// <c>SaveChanges</c> stores them — without tracking and snapshotting thousands of rows, which cost the sealer ~30 µs a
/// row (measured, SQLite in memory). Every statement must change exactly one row, else the seal fails and rolls back.
/// </summary>
internal static class AuditSealWriter
{
    /// <summary>Rows per <see cref="DbBatch"/> where the provider supports batching.</summary>
    private const int RowsPerBatch = 500;

    /// <summary>The text of the per-row UPDATE on <paramref name="context"/>'s provider (tests parse it; nothing runs).</summary>
    internal static string UpdateText(AuditDbContext context)
    {
        var entityType = context.Model.FindEntityType(typeof(AuditEntry))
            ?? throw new InvalidOperationException("The audit table is not in the audit store's model.");
        var sql = context.GetService<ISqlGenerationHelper>();
        IProperty[] columns =
        [
            Property(entityType, nameof(AuditEntry.ChainPosition)),
            Property(entityType, nameof(AuditEntry.PreviousHash)),
            Property(entityType, nameof(AuditEntry.Hash)),
            Property(entityType, nameof(AuditEntry.SealedAt)),
            Property(entityType, nameof(AuditEntry.Id)),
        ];
        return UpdateText(entityType, sql, columns);
    }

    private static string UpdateText(IEntityType entityType, ISqlGenerationHelper sql, IProperty[] columns)
    {
        return string.Create(
            CultureInfo.InvariantCulture,
            $"UPDATE {sql.DelimitIdentifier(entityType.GetTableName()!, entityType.GetSchema())} SET {Assign(0)}, {Assign(1)}, {Assign(2)}, {Assign(3)} WHERE {Assign(4)}");

        string Assign(int i) => sql.DelimitIdentifier(columns[i].GetColumnName()) + " = " + sql.GenerateParameterNamePlaceholder(Name(i));
    }

    /// <summary>Writes the chain columns of <paramref name="rows"/>; <paramref name="context"/> has the sealer's transaction open.</summary>
    public static async Task WriteAsync(AuditDbContext context, IReadOnlyList<AuditEntry> rows, CancellationToken cancellationToken)
    {
        var transaction = context.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Sealed rows are written inside the sealer's transaction.");
        var entityType = context.Model.FindEntityType(typeof(AuditEntry))
            ?? throw new InvalidOperationException("The audit table is not in the audit store's model.");
        var sql = context.GetService<ISqlGenerationHelper>();
        IProperty[] columns =
        [
            Property(entityType, nameof(AuditEntry.ChainPosition)),
            Property(entityType, nameof(AuditEntry.PreviousHash)),
            Property(entityType, nameof(AuditEntry.Hash)),
            Property(entityType, nameof(AuditEntry.SealedAt)),
            Property(entityType, nameof(AuditEntry.Id)),
        ];
        var mappings = columns.Select(c => (RelationalTypeMapping)c.GetRelationalTypeMapping()).ToArray();
        var names = columns.Select((_, i) => sql.GenerateParameterName(Name(i))).ToArray();
        var text = UpdateText(entityType, sql, columns);
        var timeout = context.Database.GetCommandTimeout();
        var connection = context.Database.GetDbConnection();

        if (connection.CanCreateBatch)
        {
            // EF Core's type mappings make parameters through a command; one (never executed) serves every row. A command
            // per parameter left five undisposed commands per sealed row to the finalizer.
            var parameterFactory = connection.CreateCommand();
            await using var disposeFactory = parameterFactory.ConfigureAwait(false);
            for (var offset = 0; offset < rows.Count; offset += RowsPerBatch)
            {
                var count = Math.Min(RowsPerBatch, rows.Count - offset);
                var batch = connection.CreateBatch();
                await using (batch.ConfigureAwait(false))
                {
                    batch.Transaction = transaction;
                    if (timeout is { } seconds)
                    {
                        batch.Timeout = seconds;
                    }

                    for (var row = offset; row < offset + count; row++)
                    {
                        var statement = batch.CreateBatchCommand();
                        statement.CommandText = text;
                        var values = Values(rows[row]);
                        for (var c = 0; c < columns.Length; c++)
                        {
                            statement.Parameters.Add(mappings[c].CreateParameter(parameterFactory, names[c], values[c], columns[c].IsNullable));
                        }

                        batch.BatchCommands.Add(statement);
                    }

                    await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    for (var i = 0; i < count; i++)
                    {
                        Check(batch.BatchCommands[i].RecordsAffected, rows[offset + i]);
                    }
                }
            }

            return;
        }

        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.Transaction = transaction;
            command.CommandText = text;
            if (timeout is { } seconds)
            {
                command.CommandTimeout = seconds;
            }

            for (var row = 0; row < rows.Count; row++)
            {
                var values = Values(rows[row]);
                for (var c = 0; c < columns.Length; c++)
                {
                    var parameter = mappings[c].CreateParameter(command, names[c], values[c], columns[c].IsNullable);
                    if (row == 0)
                    {
                        command.Parameters.Add(parameter);
                    }
                    else
                    {
                        // The prepared statement keeps its parameters; EF Core's mapping still makes each value.
                        command.Parameters[c].Value = parameter.Value;
                    }
                }

                if (row == 0)
                {
                    await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
                }

                Check(await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false), rows[row]);
            }
        }
    }

    private static string Name(int index) => string.Create(CultureInfo.InvariantCulture, $"seal{index}");

    private static object?[] Values(AuditEntry row) => [row.ChainPosition, row.PreviousHash, row.Hash, row.SealedAt, row.Id];

    private static IProperty Property(IEntityType entityType, string name) =>
        entityType.FindProperty(name) ?? throw new InvalidOperationException($"The audit model has no property {name}.");

    private static void Check(int affected, AuditEntry row)
    {
        if (affected != 1)
        {
            throw new InvalidOperationException(string.Format(
                CultureInfo.InvariantCulture,
                "Sealing changed {0} rows for audit row id {1} instead of 1 (the row was deleted or changed during the seal); nothing was sealed.",
                affected,
                row.Id));
        }
    }
}
