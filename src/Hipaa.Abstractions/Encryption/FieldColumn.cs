using System.Security.Cryptography;
using System.Text;

namespace Hipaa.Encryption;

/// <summary>
/// The column an encrypted value is stored in — schema, table and column as EF Core maps them — with what the ciphertext
/// binding needs of it computed once, not per value: the 16-byte column id of format version 2 and the length-prefixed
/// table and column of version 1 (docs/ciphertext-format.md).
/// </summary>
internal sealed class FieldColumn
{
    /// <summary>The size of <see cref="Id"/>: the first 16 bytes of a SHA-256.</summary>
    public const int IdSize = 16;

    private static readonly byte[] IdLabel = "hipaa-column-v2"u8.ToArray();
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _id;
    private readonly byte[] _version1TableAndColumn;

    /// <param name="schema">The table's schema; empty when the model names none (the database's default schema).</param>
    /// <param name="table">The table name.</param>
    /// <param name="column">The column name.</param>
    public FieldColumn(string schema, string table, string column)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(column);
        Schema = schema;
        Table = table;
        Column = column;

        var schemaBytes = Utf8(schema, nameof(schema));
        var tableBytes = Utf8(table, nameof(table));
        var columnBytes = Utf8(column, nameof(column));
        var input = new byte[(4 * 4) + IdLabel.Length + schemaBytes.Length + tableBytes.Length + columnBytes.Length];
        var offset = 0;
        FieldCiphertext.WriteLengthPrefixed(input, ref offset, IdLabel);
        FieldCiphertext.WriteLengthPrefixed(input, ref offset, schemaBytes);
        FieldCiphertext.WriteLengthPrefixed(input, ref offset, tableBytes);
        FieldCiphertext.WriteLengthPrefixed(input, ref offset, columnBytes);
        _id = SHA256.HashData(input)[..IdSize];

        _version1TableAndColumn = new byte[8 + Encoding.UTF8.GetByteCount(table) + Encoding.UTF8.GetByteCount(column)];
        offset = 0;
        FieldCiphertext.WriteLengthPrefixed(_version1TableAndColumn, ref offset, Encoding.UTF8.GetBytes(table));
        FieldCiphertext.WriteLengthPrefixed(_version1TableAndColumn, ref offset, Encoding.UTF8.GetBytes(column));
    }

    /// <summary>Gets the table's schema ("" when none is mapped).</summary>
    public string Schema { get; }

    /// <summary>Gets the table name.</summary>
    public string Table { get; }

    /// <summary>Gets the column name.</summary>
    public string Column { get; }

    /// <summary>
    /// Gets the column id of format version 2: SHA-256(lp("hipaa-column-v2") || lp(schema) || lp(table) || lp(column)),
    /// its first 16 bytes, where lp(x) is a 4-byte big-endian length and the UTF-8 bytes of x.
    /// </summary>
    public ReadOnlySpan<byte> Id => _id;

    /// <summary>Gets lp(table) || lp(column), as format version 1's associated data has them (version 1 has no schema).</summary>
    internal ReadOnlySpan<byte> Version1TableAndColumn => _version1TableAndColumn;

    /// <inheritdoc />
    public override string ToString() => Schema.Length == 0 ? $"{Table}.{Column}" : $"{Schema}.{Table}.{Column}";

    private static byte[] Utf8(string value, string parameter)
    {
        try
        {
            return StrictUtf8.GetBytes(value);
        }
        catch (EncoderFallbackException)
        {
            throw new ArgumentException("A schema, table or column name must be valid UTF-16 (it holds a lone surrogate), so that it has one UTF-8 encoding.", parameter);
        }
    }
}
