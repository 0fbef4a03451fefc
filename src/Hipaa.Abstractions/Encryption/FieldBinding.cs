using System.Text;

namespace Hipaa.Encryption;

/// <summary>
/// Where an encrypted value lives: its table, its column and its row (the primary key, and the patient id where the
/// entity has one). All of it is authenticated as associated data, so a ciphertext copied anywhere else fails to decrypt.
/// </summary>
internal readonly record struct FieldBinding(string Table, string Column, string Row, string Scope)
{
    private static readonly byte[] Label = "hipaa-field-v1"u8.ToArray();

    public int AssociatedDataLength =>
        4 + Label.Length + FieldCiphertext.AuthenticatedHeaderSize
        + 16 + Encoding.UTF8.GetByteCount(Table) + Encoding.UTF8.GetByteCount(Column)
        + Encoding.UTF8.GetByteCount(Row) + Encoding.UTF8.GetByteCount(Scope);

    /// <summary>
    /// An upper bound of <see cref="AssociatedDataLength"/> computed from the string lengths alone (no UTF-8 scan): what a
    /// buffer must hold for <see cref="WriteAssociatedData"/>, which returns the exact length.
    /// </summary>
    public int MaxAssociatedDataLength =>
        4 + Label.Length + FieldCiphertext.AuthenticatedHeaderSize + 16
        + Encoding.UTF8.GetMaxByteCount(Table.Length) + Encoding.UTF8.GetMaxByteCount(Column.Length)
        + Encoding.UTF8.GetMaxByteCount(Row.Length) + Encoding.UTF8.GetMaxByteCount(Scope.Length);

    /// <summary>
    /// associated data = lp("hipaa-field-v1") || version, algorithm, key id (18 bytes) || lp(table) || lp(column) || lp(row) || lp(scope),
    /// where lp(x) is a 4-byte big-endian length followed by the UTF-8 bytes of x.
    /// </summary>
    public int WriteAssociatedData(Span<byte> destination, ReadOnlySpan<byte> authenticatedHeader)
    {
        var offset = 0;
        FieldCiphertext.WriteLengthPrefixed(destination, ref offset, Label);
        authenticatedHeader.CopyTo(destination[offset..]);
        offset += authenticatedHeader.Length;
        WriteString(destination, ref offset, Table);
        WriteString(destination, ref offset, Column);
        WriteString(destination, ref offset, Row);
        WriteString(destination, ref offset, Scope);
        return offset;
    }

    private static void WriteString(Span<byte> destination, ref int offset, string value)
    {
        var length = Encoding.UTF8.GetBytes(value, destination[(offset + 4)..]);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(destination[offset..], length);
        offset += 4 + length;
    }
}
