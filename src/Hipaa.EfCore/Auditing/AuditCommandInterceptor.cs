using System.Data.Common;
using Hipaa.Auditing;
using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Enforcement;
using Hipaa.EfCore.Reading;
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

    /// <summary>
    /// Before a reader-returning command runs: a write through a reader-returning API (SqlQuery, FromSql, several
    /// statements in one command) is audited as the write it is; a read of PHI tables needs an access context and is
    /// admitted by the one-actor rule.
    /// </summary>
    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        if (ShouldAudit(command, eventData, result.HasResult, reader: true) is { } write)
        {
            BulkWritePolicy.EnforceBefore(write, command.CommandText, perPatientAfter: false);
            return InterceptionResult<DbDataReader>.SuppressWithResult(AuditedWriteReader.ExecuteAsync(command, write, async: false, CancellationToken.None).GetAwaiter().GetResult());
        }

        AdmitRead(command, eventData);
        return result;
    }

    /// <inheritdoc cref="ReaderExecuting"/>
    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        if (ShouldAudit(command, eventData, result.HasResult, reader: true) is { } write)
        {
            BulkWritePolicy.EnforceBefore(write, command.CommandText, perPatientAfter: false);
            return InterceptionResult<DbDataReader>.SuppressWithResult(await AuditedWriteReader.ExecuteAsync(command, write, async: true, cancellationToken).ConfigureAwait(false));
        }

        await PreloadConsentsAsync(eventData, cancellationToken).ConfigureAwait(false);
        AdmitRead(command, eventData);
        return result;
    }

    /// <summary>
    /// Before an async query runs under policy enforcement: the consents of the patients it is known to be about (the
    /// access context's patient scope, the patients an aggregate is pinned to) are loaded without blocking a thread, so its
    /// rows are decided from the cache (<see cref="PolicyEnforcementRuntime.PreloadConsentsAsync"/>).
    /// </summary>
    private static ValueTask PreloadConsentsAsync(CommandEventData eventData, CancellationToken cancellationToken)
    {
        if (eventData.CommandSource == CommandSource.SaveChanges || eventData.Context is not { } context
            || HipaaContext.Audit(context) is not { Enforcement: { HasConsentStore: true } enforcement } || AccessContext.Current is not { } access)
        {
            return ValueTask.CompletedTask; // nothing to preload: every other async query pays no lookup of its session
        }

        IEnumerable<string> patients = access.PatientScope is { Count: > 0 } scope ? scope.Select(NormalizePatientId) : [];
        if (ReadSession.For(context).Pins.TryPeek(out var pin))
        {
            patients = patients.Concat(pin.PatientIds);
        }

        return enforcement.PreloadConsentsAsync(context, patients.Distinct(StringComparer.Ordinal), cancellationToken);
    }

    /// <summary>A scoped patient id as the read path formats the entity's (a Guid in "D" format, lower case).</summary>
    private static string NormalizePatientId(string patientId) =>
        Guid.TryParse(patientId, out var guid) ? EncryptedEntityModel.FormatValue(guid) : patientId;

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result) =>
        BeginRead(command, eventData, result);

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(BeginRead(command, eventData, result));

    public override InterceptionResult DataReaderDisposing(DbCommand command, DataReaderDisposingEventData eventData, InterceptionResult result)
    {
        if (eventData.Context is not { } context || HipaaContext.Audit(context) is not { } runtime)
        {
            return result;
        }

        var session = ReadSession.For(context);
        if (session.End(eventData.CommandId) is not { } frame)
        {
            return result;
        }

        var rows = frame.Counter?.Rows ?? RowsRead(eventData);

        // A query whose PHI values all pass through entities (ProjectionAttributionInterceptor) was recorded entity by
        // entity as it was materialized; the rows it resolved to entities this context already tracks disclose nothing
        // new: a tracked PHI entity was read and recorded for this very access context (one actor per context,
        // ReadSession.Admit), written by it, or handed to the context by the application. Any other query over PHI
        // tables (aggregates, groupings by anything but the patient, ordering over a projection, …) is recorded unattributed for every row, never dropped.
        var unattributed = frame.Attributed ? 0 : rows;
        List<AuditEntry> records = [.. frame.Pending];
        if (unattributed > 0 && frame.TablesTouched.Count > 0)
        {
            var access = AuditRuntime.RequireContext("A query of " + string.Join(", ", frame.TablesTouched.Select(t => t.Table)));
            if (frame.Pin is { PatientIds.Count: > 0 } pin && frame.TablesTouched.All(t => t.Table == pin.Model.Table))
            {
                // An aggregate whose predicate pins it to these patients: every row it read is theirs.
                foreach (var patientId in pin.PatientIds)
                {
                    var pinned = runtime.NewEntry(access, AuditAction.Read, pin.Model.Name, patientId);
                    pinned.Categories = pin.Model.Category;
                    pinned.Labels = pin.Model.LabelList;
                    pinned.QueryFingerprint = frame.Fingerprint;
                    pinned.RowCount = unattributed;
                    records.Add(pinned);
                }
            }
            else
            {
                // Every entity type of the tables read: several share a table under inheritance or table splitting, and the
                // rows may be of any of them (appointments and progress notes in one table).
                IReadOnlyList<PhiEntityModel> models = frame.Command.TouchedModels.Count > 0 ? frame.Command.TouchedModels : frame.TablesTouched;
                var record = runtime.NewEntry(access, AuditAction.Read, string.Join(",", frame.TablesTouched.Select(t => t.Name)), patientId: null);
                record.Categories = string.Join(AuditEntry.ListSeparator, models.Select(t => t.Category).Distinct(StringComparer.Ordinal));
                record.Labels = string.Join(AuditEntry.ListSeparator, models.SelectMany(t => t.Labels).Distinct(StringComparer.Ordinal));
                record.QueryFingerprint = frame.Fingerprint;
                record.RowCount = unattributed;
                records.Add(record);
            }
        }

        // The query's records, in one group commit: the unattributed one, and under ReadAuditCommit.PerQuery the
        // per-patient ones, before the buffering operator (ToList, First, …) returns.
        if (records.Count > 0)
        {
            if (session.Defers(runtime))
            {
                session.Deferred.AddRange(records); // the read-ahead batch commits them before any result leaves EF Core
            }
            else
            {
                runtime.AppendReads(context, records);
            }
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

    /// <summary>
    /// Before a query over PHI tables runs: without an access context nothing is returned at all, a context holding
    /// tracked PHI serves one access context (<see cref="ReadSession.Admit"/>), and under policy enforcement a query whose
    /// values do not pass through entities is decided now, for the whole command (<see cref="UnattributedReadPolicy"/>).
    /// </summary>
    private static void AdmitRead(DbCommand command, CommandEventData eventData)
    {
        if (eventData.CommandSource == CommandSource.SaveChanges || eventData.Context is not { } context || HipaaContext.Audit(context) is not { } runtime)
        {
            return;
        }

        var text = command.CommandText;
        var described = runtime.DescribeCommand(context, text);
        if (described.Tables.Count > 0)
        {
            var access = AuditRuntime.RequireContext("A query of " + string.Join(", ", described.Tables.Select(t => t.Table)));
            var session = ReadSession.For(context);
            session.Admit(context, runtime, access);
            if (runtime.Enforcement is { } enforcement && !ProjectionAttributionInterceptor.IsAttributed(text))
            {
                UnattributedReadPolicy.Enforce(context, runtime, enforcement, session, access, described, text);
            }
        }
    }

    /// <summary>
    /// Opens the frame of a reader; a read recorded unattributed gets a reader that counts its rows (EF Core buffers some
    /// readers, whose rows its own count misses).
    /// </summary>
    private static DbDataReader BeginRead(DbCommand command, CommandExecutedEventData eventData, DbDataReader reader)
    {
        if (eventData.CommandSource == CommandSource.SaveChanges || eventData.Context is not { } context || HipaaContext.Audit(context) is not { } runtime)
        {
            return reader;
        }

        var text = command.CommandText;
        var frame = ReadSession.For(context).Begin(eventData.CommandId, runtime.DescribeCommand(context, text), ProjectionAttributionInterceptor.IsAttributed(text), text);
        if (frame.Attributed || frame.TablesTouched.Count == 0)
        {
            return reader;
        }

        frame.Counter = new CountingDataReader(reader);
        return frame.Counter;
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
        var perPatient = bulk.Command is { ReturningCommandText: not null, Target.PatientId: not null };
        var sql = command.CommandText;
        BulkWritePolicy.EnforceBefore(bulk, sql, perPatient);
        DbTransaction? own = null;
        string? savepoint = null;
        if (command.Transaction is null)
        {
            own = async ? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false) : connection.BeginTransaction();
            command.Transaction = own;
        }
        else if (perPatient && bulk.Runtime.Enforcement is not null)
        {
            // In the caller's transaction: a refusal after the statement ran rolls back to here, not the caller's work.
            savepoint = "hipaa_bulk_write";
            if (async)
            {
                await command.Transaction.SaveAsync(savepoint, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                command.Transaction.Save(savepoint);
            }
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

                if (BulkWritePolicy.DenialOf(bulk, sql, counts.Keys.Select(p => p.Length == 0 ? null : p)) is { } denial)
                {
                    // Undo what the statement changed, then commit the denied records (on the audit writer's connection, or
                    // inside the caller's transaction where SQLite needs it) and refuse.
                    if (own is not null)
                    {
                        if (async)
                        {
                            await own.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
                            await own.DisposeAsync().ConfigureAwait(false);
                        }
                        else
                        {
                            own.Rollback();
                            own.Dispose();
                        }

                        command.Transaction = null;
                        own = null;
                    }
                    else if (savepoint is not null)
                    {
                        if (async)
                        {
                            await command.Transaction!.RollbackAsync(savepoint, CancellationToken.None).ConfigureAwait(false);
                        }
                        else
                        {
                            command.Transaction!.Rollback(savepoint);
                        }
                    }

                    if (async)
                    {
                        await bulk.Runtime.AppendReadsAsync(bulk.Context, denial.Records, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        bulk.Runtime.AppendReads(bulk.Context, denial.Records);
                    }

                    throw denial.Refusal;
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
