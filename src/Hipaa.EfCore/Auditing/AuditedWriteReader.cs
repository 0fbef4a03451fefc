using System.Collections;
using System.Collections.ObjectModel;
using System.Data;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// A write that came through a reader-returning API (<c>SqlQuery</c>, <c>FromSql</c> with <c>UPDATE … RETURNING</c>, a
/// command of several statements): executed in a transaction — the caller's, or one opened for it through EF Core so
/// that reads recorded while its rows are materialized join it — and, when its reader closes, recorded as the write it
/// is in that transaction, which then commits (or rolls back, if the record cannot be written). The rows themselves are
/// handed through unchanged.
/// </summary>
internal sealed class AuditedWriteReader : DbDataReader, IDbColumnSchemaGenerator
{
    private readonly DbDataReader _inner;
    private readonly DbCommand _command;
    private readonly RawSqlAudit _audit;
    private readonly IDbContextTransaction? _own;
    private bool _finished;

    private AuditedWriteReader(DbDataReader inner, DbCommand command, RawSqlAudit audit, IDbContextTransaction? own)
    {
        _inner = inner;
        _command = command;
        _audit = audit;
        _own = own;
    }

    public override int Depth => _inner.Depth;

    public override int FieldCount => _inner.FieldCount;

    public override bool HasRows => _inner.HasRows;

    public override bool IsClosed => _finished || _inner.IsClosed;

    public override int RecordsAffected => _inner.RecordsAffected;

    public override int VisibleFieldCount => _inner.VisibleFieldCount;

    public override object this[int ordinal] => _inner[ordinal];

    public override object this[string name] => _inner[name];

    /// <summary>Executes the command in a transaction (opening one if the caller has none) and returns its reader, audited when it closes.</summary>
    public static async Task<DbDataReader> ExecuteAsync(DbCommand command, RawSqlAudit audit, bool async, CancellationToken cancellationToken)
    {
        var database = audit.Context.Database;
        IDbContextTransaction? own = null;
        if (command.Transaction is null && database.CurrentTransaction is null && System.Transactions.Transaction.Current is null)
        {
            own = async ? await database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false) : database.BeginTransaction();
            command.Transaction = own.GetDbTransaction();
        }

        try
        {
            var reader = async ? await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false) : command.ExecuteReader();
            return new AuditedWriteReader(reader, command, audit, own);
        }
        catch
        {
            if (own is not null)
            {
                command.Transaction = null;
                await EndAsync(own, commit: false, async).ConfigureAwait(false);
            }

            throw;
        }
    }

    public override void Close() => FinishAsync(async: false).GetAwaiter().GetResult();

    public override Task CloseAsync() => FinishAsync(async: true);

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await FinishAsync(async: true).ConfigureAwait(false);
        }
        finally
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
            GC.SuppressFinalize(this);
        }
    }

    public override bool GetBoolean(int ordinal) => _inner.GetBoolean(ordinal);

    public override byte GetByte(int ordinal) => _inner.GetByte(ordinal);

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) => _inner.GetBytes(ordinal, dataOffset, buffer, bufferOffset, length);

    public override char GetChar(int ordinal) => _inner.GetChar(ordinal);

    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) => _inner.GetChars(ordinal, dataOffset, buffer, bufferOffset, length);

    public override string GetDataTypeName(int ordinal) => _inner.GetDataTypeName(ordinal);

    public override DateTime GetDateTime(int ordinal) => _inner.GetDateTime(ordinal);

    public override decimal GetDecimal(int ordinal) => _inner.GetDecimal(ordinal);

    public override double GetDouble(int ordinal) => _inner.GetDouble(ordinal);

    public override IEnumerator GetEnumerator() => _inner.GetEnumerator();

    public override Type GetFieldType(int ordinal) => _inner.GetFieldType(ordinal);

    public override T GetFieldValue<T>(int ordinal) => _inner.GetFieldValue<T>(ordinal);

    public override Task<T> GetFieldValueAsync<T>(int ordinal, CancellationToken cancellationToken) => _inner.GetFieldValueAsync<T>(ordinal, cancellationToken);

    public override float GetFloat(int ordinal) => _inner.GetFloat(ordinal);

    public override Guid GetGuid(int ordinal) => _inner.GetGuid(ordinal);

    public override short GetInt16(int ordinal) => _inner.GetInt16(ordinal);

    public override int GetInt32(int ordinal) => _inner.GetInt32(ordinal);

    public override long GetInt64(int ordinal) => _inner.GetInt64(ordinal);

    public override string GetName(int ordinal) => _inner.GetName(ordinal);

    public override int GetOrdinal(string name) => _inner.GetOrdinal(name);

    public override Type GetProviderSpecificFieldType(int ordinal) => _inner.GetProviderSpecificFieldType(ordinal);

    public override object GetProviderSpecificValue(int ordinal) => _inner.GetProviderSpecificValue(ordinal);

    public override int GetProviderSpecificValues(object[] values) => _inner.GetProviderSpecificValues(values);

    public override DataTable? GetSchemaTable() => _inner.GetSchemaTable();

    public override Task<DataTable?> GetSchemaTableAsync(CancellationToken cancellationToken = default) => _inner.GetSchemaTableAsync(cancellationToken);

    public override Task<ReadOnlyCollection<DbColumn>> GetColumnSchemaAsync(CancellationToken cancellationToken = default) => _inner.GetColumnSchemaAsync(cancellationToken);

    public ReadOnlyCollection<DbColumn> GetColumnSchema() => _inner.GetColumnSchema();

    public override Stream GetStream(int ordinal) => _inner.GetStream(ordinal);

    public override string GetString(int ordinal) => _inner.GetString(ordinal);

    public override TextReader GetTextReader(int ordinal) => _inner.GetTextReader(ordinal);

    public override object GetValue(int ordinal) => _inner.GetValue(ordinal);

    public override int GetValues(object[] values) => _inner.GetValues(values);

    public override bool IsDBNull(int ordinal) => _inner.IsDBNull(ordinal);

    public override Task<bool> IsDBNullAsync(int ordinal, CancellationToken cancellationToken) => _inner.IsDBNullAsync(ordinal, cancellationToken);

    public override bool NextResult() => _inner.NextResult();

    public override Task<bool> NextResultAsync(CancellationToken cancellationToken) => _inner.NextResultAsync(cancellationToken);

    public override bool Read() => _inner.Read();

    public override Task<bool> ReadAsync(CancellationToken cancellationToken) => _inner.ReadAsync(cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try
            {
                FinishAsync(async: false).GetAwaiter().GetResult();
            }
            finally
            {
                _inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private static async Task EndAsync(IDbContextTransaction transaction, bool commit, bool async)
    {
        try
        {
            if (commit)
            {
                if (async)
                {
                    await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    transaction.Commit();
                }
            }
            else if (async)
            {
                await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                transaction.Rollback();
            }
        }
        finally
        {
            if (async)
            {
                await transaction.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                transaction.Dispose();
            }
        }
    }

    /// <summary>
    /// Once: closes the command's reader (running what is left of it), records the write with the rows it affected in
    /// the command's transaction, and commits the transaction opened for it — or rolls it back when anything fails.
    /// </summary>
    private async Task FinishAsync(bool async)
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        var committed = false;
        try
        {
            if (async)
            {
                await _inner.CloseAsync().ConfigureAwait(false);
            }
            else
            {
                _inner.Close();
            }

            var rows = _inner.RecordsAffected;
            if (_audit.ShouldRecord(rows))
            {
                var connection = _command.Connection ?? throw new InvalidOperationException("The command has no connection.");
                await AuditSqlInserter.InsertAsync(_audit.Context, connection, _command.Transaction, [_audit.Unattributed(rows)], async, CancellationToken.None).ConfigureAwait(false);
            }

            committed = true;
        }
        finally
        {
            if (_own is not null)
            {
                _command.Transaction = null;
                await EndAsync(_own, committed, async).ConfigureAwait(false);
            }
        }
    }
}
