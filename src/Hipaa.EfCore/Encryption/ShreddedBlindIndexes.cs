using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// Clears the blind indexes of crypto-shredded values in the application's tables (issue 9, red team 2): every searchable
/// column's index is set to the empty value, which equals no index (16 bytes) and is not <c>NULL</c>, for every row
/// whose ciphertext names one of the destroyed keys. A shredded value then matches no search in the database — neither
/// <c>== value</c> nor <c>== null</c>, as it matches none in <see cref="BlindIndexFilter"/> — so only an index moved onto
/// the row by someone with write access to the database (or a value written by an instance that had not yet seen the
/// shred) can make a search find it, and that search is refused.
/// </summary>
/// <remarks>
/// The rows are found by the key id in each value's header (bytes 2 to 17), not by the patient id: that covers every
/// scope (patient, column, application), patient ids stored in an earlier spelling, and rows whose patient id was
/// changed by hand. It costs one <c>UPDATE</c> per searchable column, each a scan of its table (no index covers a part of
/// the ciphertext). The statements go through the application's context, so they are audited like any bulk update.
/// </remarks>
internal static class ShreddedBlindIndexes
{
    /// <summary>The value a shredded value's index is set to: the empty byte string.</summary>
    public static byte[] Cleared { get; } = [];

    /// <summary>Whether indexes can be cleared on <paramref name="context"/>'s database (a supported one: the SQL takes a part of a binary value, <see cref="Storage.Dialects.DatabaseDialect.KeyIdOf"/>).</summary>
    public static bool IsSupported(DbContext context) => Storage.Dialects.DatabaseDialect.Find(context) is not null;

    /// <summary>Sets the index of every value under one of <paramref name="keyIds"/> to <see cref="Cleared"/>; returns the number of index values cleared.</summary>
    public static async Task<int> ClearAsync(FieldEncryptionRuntime runtime, DbContext context, IReadOnlyCollection<Guid> keyIds, CancellationToken cancellationToken)
    {
        if (keyIds.Count == 0)
        {
            return 0;
        }

        var sql = context.GetService<ISqlGenerationHelper>();
        var dialect = Storage.Dialects.DatabaseDialect.For(context, "ShredAsync(scope, context)");
        var cleared = 0;
        var done = new HashSet<(string?, string, string)>();
        foreach (var entityType in context.Model.GetEntityTypes())
        {
            if (runtime.GetModel(entityType) is not { } model || entityType.GetTableName() is not { } table)
            {
                continue;
            }

            var schema = entityType.GetSchema();
            var store = StoreObjectIdentifier.Table(table, schema);
            foreach (var property in model.Properties)
            {
                if (property.BlindIndex is not { } index
                    || index.GetColumnName(store) is not { } indexColumn
                    || property.Ciphertext.GetColumnName(store) is not { } valueColumn
                    || !done.Add((schema, table, indexColumn)))
                {
                    continue; // not searchable, or the same table and column again (a type of a hierarchy mapped to one table)
                }

                // UPDATE t SET c_bidx = {0} WHERE substr(c, 3, 16) IN ({1}, …) AND (c_bidx IS NULL OR c_bidx <> {0}); the
                // placeholders become parameters (ExecuteSqlRaw formats the text), so braces in a name are doubled.
                var text = ClearStatement(dialect, sql, table, schema, indexColumn, valueColumn, keyIds.Count);
                object[] parameters = [Cleared, .. keyIds.Select(id => id.ToByteArray(bigEndian: true))];
                var rows = await context.Database.ExecuteSqlRawAsync(text, parameters, cancellationToken).ConfigureAwait(false);
                if (rows > 0)
                {
                    FieldEncryptionLog.ShreddedBlindIndexesCleared(runtime.Logger, table, indexColumn, rows);
                }

                cleared += rows;
            }
        }

        return cleared;
    }

    /// <summary>A delimited name as literal text of a composite format string (the SQL ExecuteSqlRaw formats).</summary>
    private static string Literal(string delimited) => delimited.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal);

    /// <summary>
    /// The composite format text of one column's clearing statement: <c>{0}</c> the cleared value, <c>{1}</c>… the key ids
    /// (ExecuteSqlRaw turns them into parameters).
    /// </summary>
    internal static string ClearStatement(Storage.Dialects.DatabaseDialect dialect, ISqlGenerationHelper sql, string table, string? schema, string indexColumn, string valueColumn, int keys)
    {
        var keyList = string.Join(", ", Enumerable.Range(1, keys).Select(i => "{" + i + "}"));
        var target = Literal(sql.DelimitIdentifier(table, schema));
        var indexSql = Literal(sql.DelimitIdentifier(indexColumn));
        return $"UPDATE {target} SET {indexSql} = {{0}} "
            + $"WHERE {dialect.KeyIdOf(Literal(sql.DelimitIdentifier(valueColumn)))} IN ({keyList}) "
            + $"AND ({indexSql} IS NULL OR {indexSql} <> {{0}})";
    }
}
