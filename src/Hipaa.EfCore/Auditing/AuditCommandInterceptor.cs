using System.Data.Common;
using Hipaa.Auditing;
using Hipaa.EfCore.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// Audits what the entity-level interceptors cannot see: reads that return PHI rows without materializing an entity
/// (scalar projections, <c>SqlQuery</c>, rows resolved to entities already tracked) are recorded as unattributed reads
/// with the tables, the command's fingerprint and the row count; bulk commands (<c>ExecuteUpdate</c>,
/// <c>ExecuteDelete</c>, <c>ExecuteSql</c>) on PHI tables are executed together with their audit rows in one
/// transaction — per patient (through <c>RETURNING</c>) when the table has a patient id, otherwise unattributed.
/// </summary>
internal sealed class AuditCommandInterceptor : DbCommandInterceptor
{
    public static AuditCommandInterceptor Instance { get; } = new();

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        BeginRead(command, eventData);
        return result;
    }

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        BeginRead(command, eventData);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult DataReaderDisposing(DbCommand command, DataReaderDisposingEventData eventData, InterceptionResult result)
    {
        if (eventData.Context is not { } context || HipaaContext.Audit(context) is not { } runtime)
        {
            return result;
        }

        var state = AuditReadState.For(context);
        if (!state.Active)
        {
            return result;
        }

        try
        {
            var rows = RowsRead(eventData);

            // Rows no PHI entity was materialized for — a scalar projection, or rows that resolved to entities this
            // context already tracks — are recorded as unattributed reads, never dropped.
            var unattributed = rows - state.Materialized;
            List<AuditEntry> records = [.. state.Pending];
            if (unattributed > 0 && state.TablesTouched.Count > 0)
            {
                var access = AuditRuntime.RequireContext("A query of " + string.Join(", ", state.TablesTouched.Select(t => t.Table)));
                var record = runtime.NewEntry(access, AuditAction.Read, string.Join(",", state.TablesTouched.Select(t => t.Name)), patientId: null);
                record.Categories = string.Join(AuditEntry.ListSeparator, state.TablesTouched.Select(t => t.Category).Distinct(StringComparer.Ordinal));
                record.Labels = string.Join(AuditEntry.ListSeparator, state.TablesTouched.SelectMany(t => t.Labels).Distinct(StringComparer.Ordinal));
                record.QueryFingerprint = state.Fingerprint;
                record.RowCount = unattributed;
                records.Add(record);
            }

            // The query's records, in one group commit: the unattributed one, and under ReadAuditCommit.PerQuery the
            // per-patient ones, before the buffering operator (ToList, First, …) returns.
            if (records.Count > 0)
            {
                runtime.AppendReads(context, records);
            }
        }
        finally
        {
            state.End();
        }

        return result;
    }

    /// <summary>
    /// Rows the caller actually received. EF counts every Read() call, including the last one that found no more rows;
    /// one more Read() tells which case this is (the reader is being disposed, so consuming a row changes nothing).
    /// </summary>
    private static int RowsRead(DataReaderDisposingEventData eventData)
    {
        var calls = eventData.ReadCount;
        if (calls == 0 || eventData.DataReader.IsClosed)
        {
            return Math.Max(calls - 1, 0);
        }

        return eventData.DataReader.Read() ? calls : calls - 1;
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        if (ShouldAudit(command, eventData, result.HasResult, reader: false) is not { } bulk)
        {
            return result;
        }

        var rows = ExecuteAuditedAsync(command, bulk, async: false, CancellationToken.None).GetAwaiter().GetResult();
        return InterceptionResult<int>.SuppressWithResult(rows);
    }

    public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (ShouldAudit(command, eventData, result.HasResult, reader: false) is not { } bulk)
        {
            return result;
        }

        var rows = await ExecuteAuditedAsync(command, bulk, async: true, cancellationToken).ConfigureAwait(false);
        return InterceptionResult<int>.SuppressWithResult(rows);
    }

    /// <summary>A write through a reader-returning API (SqlQuery, FromSql, several statements in one command) is audited as the write it is.</summary>
    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        if (ShouldAudit(command, eventData, result.HasResult, reader: true) is not { } write)
        {
            return result;
        }

        return InterceptionResult<DbDataReader>.SuppressWithResult(AuditedWriteReader.ExecuteAsync(command, write, async: false, CancellationToken.None).GetAwaiter().GetResult());
    }

    /// <inheritdoc cref="ReaderExecuting"/>
    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        if (ShouldAudit(command, eventData, result.HasResult, reader: true) is not { } write)
        {
            return result;
        }

        return InterceptionResult<DbDataReader>.SuppressWithResult(await AuditedWriteReader.ExecuteAsync(command, write, async: true, cancellationToken).ConfigureAwait(false));
    }

    private static void BeginRead(DbCommand command, CommandExecutedEventData eventData)
    {
        if (eventData.CommandSource == CommandSource.SaveChanges || eventData.Context is not { } context || HipaaContext.Audit(context) is not { } runtime)
        {
            return;
        }

        var described = runtime.DescribeCommand(context, command.CommandText);
        AuditReadState.For(context).Begin(described.Fingerprint, described.Tables);
    }

    /// <summary>
    /// The commands audited here as writes, with their records in their own transaction: the bulk entry points
    /// (ExecuteUpdate, ExecuteDelete, ExecuteSql) on PHI tables, and — for reader-returning commands — statements that
    /// write or cannot be classified (raw SQL rules, docs/audit.md). SaveChanges is audited entity by entity; migrations
    /// and EF Core's own commands are not PHI access.
    /// </summary>
    private static RawSqlAudit? ShouldAudit(DbCommand command, CommandEventData eventData, bool hasResult, bool reader)
    {
        var source = eventData.CommandSource;
        if (hasResult
            || (reader
                ? source is CommandSource.SaveChanges or CommandSource.Migrations or CommandSource.ValueGenerator or CommandSource.Scaffolding
                : source is not (CommandSource.ExecuteUpdate or CommandSource.ExecuteDelete or CommandSource.ExecuteSqlRaw))
            || eventData.Context is not { } context
            || HipaaContext.Audit(context) is not { } runtime)
        {
            return null;
        }

        var described = runtime.DescribeCommand(context, command.CommandText);
        if (described.Action is null || (reader && !described.IsWrite))
        {
            return null;
        }

        var what = (reader ? "A write through a query API on " : "A bulk command on ") + string.Join(", ", described.Touched.Select(t => t.Table));
        return new RawSqlAudit(context, runtime, described, AuditRuntime.RequireContext(what));
    }

    private static async Task<int> ExecuteAuditedAsync(DbCommand command, RawSqlAudit bulk, bool async, CancellationToken cancellationToken)
    {
        var connection = command.Connection ?? throw new InvalidOperationException("The command has no connection.");
        DbTransaction? own = null;
        if (command.Transaction is null)
        {
            own = async ? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false) : connection.BeginTransaction();
            command.Transaction = own;
        }

        try
        {
            int rows;
            List<AuditEntry> entries = [];
            if (bulk.Command is { ReturningCommandText: { } returning, Target: { PatientId: { } patientIdProperty } target })
            {
                // Per patient: the statement returns the target table's patient id of every row it changed.
                var original = command.CommandText;
                command.CommandText = returning;
                var counts = new Dictionary<string, int>(StringComparer.Ordinal);
                rows = 0;
                try
                {
                    var reader = async ? await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false) : command.ExecuteReader();
                    await using (reader.ConfigureAwait(false))
                    {
                        while (async ? await reader.ReadAsync(cancellationToken).ConfigureAwait(false) : reader.Read())
                        {
                            rows++;
                            var patientId = reader.IsDBNull(0) ? string.Empty : EncryptedEntityModel.FormatValue(ReadModelValue(reader, patientIdProperty));
                            counts[patientId] = counts.GetValueOrDefault(patientId) + 1;
                        }
                    }
                }
                finally
                {
                    command.CommandText = original;
                }

                foreach (var (patientId, count) in counts)
                {
                    entries.Add(bulk.ForPatient(target, patientId.Length == 0 ? null : patientId, count));
                }
            }
            else
            {
                rows = async ? await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) : command.ExecuteNonQuery();
                entries.Add(bulk.Unattributed(rows));
            }

            if (bulk.ShouldRecord(rows))
            {
                await AuditSqlInserter.InsertAsync(bulk.Context, connection, command.Transaction, entries, async, cancellationToken).ConfigureAwait(false);
            }

            if (own is not null)
            {
                if (async)
                {
                    await own.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    own.Commit();
                }
            }

            return rows;
        }
        catch
        {
            if (own is not null)
            {
                if (async)
                {
                    await own.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    own.Rollback();
                }
            }

            throw;
        }
        finally
        {
            if (own is not null)
            {
                command.Transaction = null;
                if (async)
                {
                    await own.DisposeAsync().ConfigureAwait(false);
                }
                else
                {
                    own.Dispose();
                }
            }
        }
    }

    /// <summary>Reads a column as EF Core would (provider type, then the property's value converter), so ids format the same way.</summary>
    private static object ReadModelValue(DbDataReader reader, Microsoft.EntityFrameworkCore.Metadata.IProperty property)
    {
        var mapping = (RelationalTypeMapping)property.GetRelationalTypeMapping();
        var providerType = mapping.Converter?.ProviderClrType ?? property.ClrType;
        providerType = Nullable.GetUnderlyingType(providerType) ?? providerType;
        var value = GetFieldValueMethod.MakeGenericMethod(providerType).Invoke(reader, [0])!;
        return mapping.Converter is { } converter ? converter.ConvertFromProvider(value)! : value;
    }

    private static readonly System.Reflection.MethodInfo GetFieldValueMethod = typeof(DbDataReader).GetMethod(nameof(DbDataReader.GetFieldValue))!;
}
