using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Hipaa.EfCore.Storage.Dialects;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hipaa.EfCore.Storage;

/// <summary>
/// Inserts rows of one mapped entity type with ADO.NET on a given connection and transaction — the SDK's own tables
/// (audit records, wrapped keys), where EF Core's change tracking and command batching cost far more than the insert.
/// Values go through EF Core's type mappings and value converters of the context's model, so they are stored exactly as
/// <c>SaveChanges</c> would store them. Every column but store-generated keys is written.
/// </summary>
/// <remarks>
/// SQLite runs in-process, so a statement of many rows saves no round trip, and Microsoft.Data.Sqlite binds parameters by
/// name (a linear search in SQLite, O(n²) for a statement of n parameters): there one one-row statement is prepared and
/// run once per row (<see cref="DatabaseDialect.InsertsRowByRow"/>). Elsewhere rows go as multi-row statements of at most
/// <see cref="MaxParametersPerStatement"/> parameters, and at most the dialect's own limit (SQL Server's limit is 2,100;
/// PostgreSQL's 65,535), one round trip per statement.
/// </remarks>
internal static class SqlRowInserter
{
    /// <summary>Parameters per multi-row statement: below the smallest limit of the providers EF Core supports (SQL Server, 2,100).</summary>
    public const int MaxParametersPerStatement = 2_000;

    private const int MaxRowsPerStatement = 256;

    private static readonly ConcurrentDictionary<(IModel Model, Type Type), Table> Tables = new();

    /// <summary>Inserts <paramref name="rows"/> (none is a no-op); throws the provider's <see cref="DbException"/> on a failed statement.</summary>
    public static async Task InsertAsync<TRow>(
        DbContext context,
        DbConnection connection,
        DbTransaction? transaction,
        IReadOnlyList<TRow> rows,
        bool async,
        CancellationToken cancellationToken)
        where TRow : class
    {
        if (rows.Count == 0)
        {
            return;
        }

        var table = TableOf(context, typeof(TRow));
        var timeout = context.Database.GetCommandTimeout();
        var dialect = DatabaseDialect.For(context, "The context that writes the SDK's own tables");
        if (dialect.InsertsRowByRow)
        {
            await InsertOneByOneAsync(table, connection, transaction, timeout, rows, async, cancellationToken).ConfigureAwait(false);
            return;
        }

        var perStatement = RowsPerStatement(dialect, table.Columns.Length);
        for (var offset = 0; offset < rows.Count; offset += perStatement)
        {
            var count = Math.Min(perStatement, rows.Count - offset);
            using var command = CreateCommand(table, connection, transaction, timeout, count);
            var parameter = 0;
            for (var row = 0; row < count; row++)
            {
                foreach (var column in table.Columns)
                {
                    command.Parameters[parameter++].Value = column.ToProvider(rows[offset + row]);
                }
            }

            await ExecuteAsync(command, async, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Rows per multi-row statement of <paramref name="columns"/> columns a row: under both limits, at least one.</summary>
    internal static int RowsPerStatement(DatabaseDialect dialect, int columns) =>
        Math.Max(1, Math.Min(MaxRowsPerStatement, Math.Min(MaxParametersPerStatement, dialect.MaxParametersPerStatement) / columns));

    /// <summary>The statements that would insert <paramref name="rows"/> rows of <typeparamref name="TRow"/> on <paramref name="context"/>'s provider, as (text, parameter count); tests parse them, nothing runs.</summary>
    internal static IReadOnlyList<(string Text, int Parameters)> InsertStatements<TRow>(DbContext context, int rows)
        where TRow : class
    {
        var table = TableOf(context, typeof(TRow));
        var dialect = DatabaseDialect.For(context, "The context");
        var perStatement = dialect.InsertsRowByRow ? 1 : RowsPerStatement(dialect, table.Columns.Length);
        var connection = context.Database.GetDbConnection();
        var statements = new List<(string, int)>();
        for (var offset = 0; offset < rows; offset += perStatement)
        {
            using var command = CreateCommand(table, connection, null, null, Math.Min(perStatement, rows - offset));
            statements.Add((command.CommandText, command.Parameters.Count));
        }

        return statements;
    }

    /// <summary>
    /// Inserts each of <paramref name="rows"/> for which the table has no row yet with the same values in
    /// <paramref name="absentWhenSame"/> (property names), and returns the indexes of the rows it inserted. On SQLite one
    /// prepared statement per row (<c>INSERT … SELECT … WHERE NOT EXISTS</c>, its row count telling); elsewhere
    /// multi-row statements over <c>VALUES</c> with <c>RETURNING</c> the key property <paramref name="returned"/>.
    /// Two writers inserting the same row at once are not excluded by this alone: a unique index must refuse the second.
    /// </summary>
    public static async Task<IReadOnlyList<int>> InsertWhereAbsentAsync<TRow>(
        DbContext context,
        DbConnection connection,
        DbTransaction? transaction,
        IReadOnlyList<TRow> rows,
        IReadOnlyList<string> absentWhenSame,
        string returned,
        bool async,
        CancellationToken cancellationToken)
        where TRow : class
    {
        var inserted = new List<int>(rows.Count);
        if (rows.Count == 0)
        {
            return inserted;
        }

        var table = TableOf(context, typeof(TRow));
        var match = absentWhenSame.Select(table.IndexOf).ToArray();
        var timeout = context.Database.GetCommandTimeout();
        var dialect = DatabaseDialect.For(context, "The context that writes the SDK's own tables");
        if (dialect.InsertsRowByRow)
        {
            using var command = CreateInsertWhereAbsentCommand(table, dialect, connection, transaction, timeout, 1, match, returning: null);
            if (rows.Count > 1)
            {
                command.Prepare();
            }

            for (var row = 0; row < rows.Count; row++)
            {
                for (var c = 0; c < table.Columns.Length; c++)
                {
                    command.Parameters[c].Value = table.Columns[c].ToProvider(rows[row]);
                }

                var count = async ? await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) : command.ExecuteNonQuery();
                if (count == 1)
                {
                    inserted.Add(row);
                }
            }

            return inserted;
        }

        var key = table.IndexOf(returned);
        var perStatement = RowsPerStatement(dialect, table.Columns.Length);
        for (var offset = 0; offset < rows.Count; offset += perStatement)
        {
            var count = Math.Min(perStatement, rows.Count - offset);
            using var command = CreateInsertWhereAbsentCommand(table, dialect, connection, transaction, timeout, count, match, returning: key);
            var parameter = 0;
            var byKey = new Dictionary<object, int>(count);
            for (var row = 0; row < count; row++)
            {
                foreach (var column in table.Columns)
                {
                    command.Parameters[parameter++].Value = column.ToProvider(rows[offset + row]);
                }

                byKey[table.Columns[key].ToProvider(rows[offset + row])] = offset + row;
            }

            var reader = async ? await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false) : command.ExecuteReader();
            await using (reader.ConfigureAwait(false))
            {
                while (async ? await reader.ReadAsync(cancellationToken).ConfigureAwait(false) : reader.Read())
                {
                    inserted.Add(byKey.TryGetValue(reader.GetValue(0), out var index)
                        ? index
                        : throw new InvalidOperationException($"The database returned a key the SDK did not insert into {table.Name}."));
                }
            }
        }

        inserted.Sort();
        return inserted;
    }

    /// <summary>The statements <see cref="InsertWhereAbsentAsync"/> would run for <paramref name="rows"/> rows, as (text, parameter count); tests parse them, nothing runs.</summary>
    internal static IReadOnlyList<(string Text, int Parameters)> InsertWhereAbsentStatements<TRow>(DbContext context, int rows, IReadOnlyList<string> absentWhenSame, string returned)
        where TRow : class
    {
        var table = TableOf(context, typeof(TRow));
        var dialect = DatabaseDialect.For(context, "The context");
        var match = absentWhenSame.Select(table.IndexOf).ToArray();
        var connection = context.Database.GetDbConnection();
        var statements = new List<(string, int)>();
        if (dialect.InsertsRowByRow)
        {
            using var command = CreateInsertWhereAbsentCommand(table, dialect, connection, null, null, 1, match, returning: null);
            statements.Add((command.CommandText, command.Parameters.Count));
            return statements;
        }

        var perStatement = RowsPerStatement(dialect, table.Columns.Length);
        for (var offset = 0; offset < rows; offset += perStatement)
        {
            using var command = CreateInsertWhereAbsentCommand(table, dialect, connection, null, null, Math.Min(perStatement, rows - offset), match, table.IndexOf(returned));
            statements.Add((command.CommandText, command.Parameters.Count));
        }

        return statements;
    }

    /// <summary>
    /// The statement of <see cref="InsertWhereAbsentAsync"/>: <c>INSERT INTO t (…) SELECT … WHERE NOT EXISTS (…)</c> for one
    /// row (no result), or over <c>(VALUES …) AS v</c> returning the inserted rows' <paramref name="returning"/> column —
    /// <c>RETURNING</c>, or T-SQL's <c>OUTPUT inserted.…</c> before the <c>SELECT</c>.
    /// </summary>
    private static DbCommand CreateInsertWhereAbsentCommand(Table table, DatabaseDialect dialect, DbConnection connection, DbTransaction? transaction, int? timeout, int rows, int[] match, int? returning)
    {
        var command = connection.CreateCommand();
        try
        {
            command.Transaction = transaction;
            if (timeout is { } seconds)
            {
                command.CommandTimeout = seconds;
            }

            var sql = table.Sql;
            var columns = table.Columns;
            var text = new StringBuilder(table.InsertIntoColumns);
            string Placeholder(int row, int column) => sql.GenerateParameterNamePlaceholder(string.Create(CultureInfo.InvariantCulture, $"hipaa_{row}_{column}"));
            string Alias(int column) => sql.DelimitIdentifier(string.Create(CultureInfo.InvariantCulture, $"c{column}"));
            for (var row = 0; row < rows; row++)
            {
                for (var c = 0; c < columns.Length; c++)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"hipaa_{row}_{c}");
                    command.Parameters.Add(columns[c].Mapping.CreateParameter(command, sql.GenerateParameterName(name), null, columns[c].Nullable));
                }
            }

            var existing = sql.DelimitIdentifier("existing");
            if (returning is null)
            {
                // One row: SELECT its parameters, unless the table has a matching row.
                text.Append(" SELECT ").AppendJoin(", ", Enumerable.Range(0, columns.Length).Select(c => Placeholder(0, c)))
                    .Append(" WHERE NOT EXISTS (SELECT 1 FROM ").Append(table.Name).Append(' ').Append(existing).Append(" WHERE ")
                    .AppendJoin(" AND ", match.Select(c => $"{existing}.{columns[c].Delimited} = {Placeholder(0, c)}"))
                    .Append(')');
            }
            else
            {
                var values = sql.DelimitIdentifier("v");
                var output = dialect is SqlServerDialect;
                if (output)
                {
                    text.Append(" OUTPUT inserted.").Append(columns[returning.Value].Delimited);
                }

                text.Append(" SELECT ").AppendJoin(", ", Enumerable.Range(0, columns.Length).Select(c => $"{values}.{Alias(c)}"))
                    .Append(" FROM (VALUES ");
                for (var row = 0; row < rows; row++)
                {
                    text.Append(row == 0 ? "(" : ", (").AppendJoin(", ", Enumerable.Range(0, columns.Length).Select(c => Placeholder(row, c))).Append(')');
                }

                text.Append(") AS ").Append(values).Append(" (").AppendJoin(", ", Enumerable.Range(0, columns.Length).Select(Alias)).Append(')')
                    .Append(" WHERE NOT EXISTS (SELECT 1 FROM ").Append(table.Name).Append(' ').Append(existing).Append(" WHERE ")
                    .AppendJoin(" AND ", match.Select(c => $"{existing}.{columns[c].Delimited} = {values}.{Alias(c)}"))
                    .Append(')');
                if (!output)
                {
                    text.Append(" RETURNING ").Append(columns[returning.Value].Delimited);
                }
            }

            command.CommandText = text.ToString();
            return command;
        }
        catch
        {
            command.Dispose();
            throw;
        }
    }

    private static async Task InsertOneByOneAsync<TRow>(Table table, DbConnection connection, DbTransaction? transaction, int? timeout, IReadOnlyList<TRow> rows, bool async, CancellationToken cancellationToken)
        where TRow : class
    {
        using var command = CreateCommand(table, connection, transaction, timeout, 1);
        if (rows.Count > 1)
        {
            command.Prepare();
        }

        foreach (var row in rows)
        {
            for (var c = 0; c < table.Columns.Length; c++)
            {
                command.Parameters[c].Value = table.Columns[c].ToProvider(row);
            }

            await ExecuteAsync(command, async, cancellationToken).ConfigureAwait(false);
        }
    }

    private static DbCommand CreateCommand(Table table, DbConnection connection, DbTransaction? transaction, int? timeout, int rows)
    {
        var command = connection.CreateCommand();
        try
        {
            command.Transaction = transaction;
            if (timeout is { } seconds)
            {
                command.CommandTimeout = seconds;
            }

            var text = new StringBuilder(table.InsertInto);
            for (var row = 0; row < rows; row++)
            {
                text.Append(row == 0 ? "(" : ", (");
                for (var c = 0; c < table.Columns.Length; c++)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"hipaa_{row}_{c}");
                    var column = table.Columns[c];
                    text.Append(c == 0 ? string.Empty : ", ").Append(table.Sql.GenerateParameterNamePlaceholder(name));
                    command.Parameters.Add(column.Mapping.CreateParameter(command, table.Sql.GenerateParameterName(name), null, column.Nullable));
                }

                text.Append(')');
            }

            command.CommandText = text.ToString();
            return command;
        }
        catch
        {
            command.Dispose();
            throw;
        }
    }

    private static async Task ExecuteAsync(DbCommand command, bool async, CancellationToken cancellationToken)
    {
        if (async)
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            command.ExecuteNonQuery();
        }
    }

    private static Table TableOf(DbContext context, Type type) =>
        Tables.GetOrAdd((context.Model, type), static (key, context) => Table.Describe(context, key.Type), context);

    private sealed class Table(string name, string insertIntoColumns, Column[] columns, ISqlGenerationHelper sql)
    {
        /// <summary>The delimited (schema-qualified) table name.</summary>
        public string Name { get; } = name;

        /// <summary><c>INSERT INTO table (columns)</c>.</summary>
        public string InsertIntoColumns { get; } = insertIntoColumns;

        /// <summary><c>INSERT INTO table (columns) VALUES </c>.</summary>
        public string InsertInto { get; } = insertIntoColumns + " VALUES ";

        public Column[] Columns { get; } = columns;

        public ISqlGenerationHelper Sql { get; } = sql;

        public int IndexOf(string propertyName)
        {
            var index = Array.FindIndex(Columns, c => c.PropertyName == propertyName);
            return index >= 0 ? index : throw new InvalidOperationException($"{propertyName} is not a column the SDK writes in {Name}.");
        }

        public static Table Describe(DbContext context, Type type)
        {
            var entityType = context.Model.FindEntityType(type)
                ?? throw new InvalidOperationException($"The entity type {type.Name} is not in the model of {context.GetType().Name}; the SDK cannot write its table.");
            var sql = context.GetService<ISqlGenerationHelper>();
            var properties = entityType.GetProperties().Where(p => !(p.IsPrimaryKey() && p.ValueGenerated != ValueGenerated.Never)).ToList();
            var name = sql.DelimitIdentifier(entityType.GetTableName()!, entityType.GetSchema());
            var insertIntoColumns = new StringBuilder("INSERT INTO ")
                .Append(name)
                .Append(" (")
                .AppendJoin(", ", properties.Select(p => sql.DelimitIdentifier(p.GetColumnName())))
                .Append(')')
                .ToString();
            return new Table(name, insertIntoColumns, [.. properties.Select(p => new Column(p, sql))], sql);
        }
    }

    private sealed class Column(IProperty property, ISqlGenerationHelper sql)
    {
        public string PropertyName { get; } = property.Name;

        /// <summary>The delimited column name.</summary>
        public string Delimited { get; } = sql.DelimitIdentifier(property.GetColumnName());

        private readonly IClrPropertyGetter _getter = property.GetGetter();
        private readonly Func<object?, object?>? _convert = property.GetRelationalTypeMapping().Converter?.ConvertToProvider;

        public RelationalTypeMapping Mapping { get; } = (RelationalTypeMapping)property.GetRelationalTypeMapping();

        public bool Nullable { get; } = property.IsNullable;

        /// <summary>The column's value of <paramref name="row"/> as the provider receives it (converted; null as <see cref="DBNull"/>).</summary>
        public object ToProvider(object row)
        {
            var value = _getter.GetClrValueUsingContainingEntity(row);
            if (_convert is not null && value is not null)
            {
                value = _convert(value);
            }

            return value ?? DBNull.Value;
        }
    }
}
