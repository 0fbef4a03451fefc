using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Hipaa.Encryption;

/// <summary>
/// Where an encrypted value lives: its column (schema, table, column) and its row (the primary key, and the patient id
/// where the entity has one). All of it is authenticated as associated data, so a ciphertext copied anywhere else fails to
/// decrypt. The row and patient are the key values themselves (a <see cref="Guid"/>, an integer, a string …; a composite
/// key as an <see cref="T:object[]"/> of its parts), encoded in binary for format version 2 and as canonical text for
/// version 1 (docs/ciphertext-format.md, §2).
/// </summary>
internal readonly struct FieldBinding
{
    /// <summary>Type tags of the parts of a version 2 binding: each part says what it is, so a string "1" and a long 1 differ.</summary>
    internal const byte TagNone = 0x00;
    internal const byte TagString = 0x01;
    internal const byte TagGuid = 0x02;
    internal const byte TagSigned = 0x03;
    internal const byte TagUnsigned = 0x04;
    internal const byte TagBytes = 0x05;
    internal const byte TagOther = 0x06;

    private static readonly byte[] Version1Label = "hipaa-field-v1"u8.ToArray();
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <param name="column">The column (its id is computed once, by <see cref="FieldColumn"/>).</param>
    /// <param name="row">The primary key value, or an <see cref="T:object[]"/> of the parts of a composite key.</param>
    /// <param name="patient">The row's patient id, or <see langword="null"/> when the entity has none.</param>
    public FieldBinding(FieldColumn column, object? row, object? patient)
    {
        ArgumentNullException.ThrowIfNull(column);
        Column = column;
        Row = row;
        Patient = patient;
    }

    public FieldColumn Column { get; }

    public object? Row { get; }

    public object? Patient { get; }

    /// <summary>
    /// An upper bound of the length of the associated data of <paramref name="version"/> (exact for fixed-size parts;
    /// strings counted at their UTF-8 maximum, no scan): what a buffer must hold for <see cref="WriteAssociatedData"/>.
    /// </summary>
    public int MaxAssociatedDataLength(byte version)
    {
        if (version == FieldCiphertext.FormatVersion1)
        {
            return 4 + Version1Label.Length + FieldCiphertext.AuthenticatedHeaderSize + Column.Version1TableAndColumn.Length
                + 8 + Encoding.UTF8.GetMaxByteCount(Version1Text.Row(Row).Length) + Encoding.UTF8.GetMaxByteCount(Version1Text.Value(Patient).Length);
        }

        var length = FieldCiphertext.AuthenticatedHeaderSize + FieldColumn.IdSize + 1 + MaxPartLength(Patient);
        if (Row is object?[] parts)
        {
            foreach (var part in parts)
            {
                length += MaxPartLength(part);
            }
        }
        else
        {
            length += MaxPartLength(Row);
        }

        return length;
    }

    /// <summary>
    /// Writes the associated data of the format named by <c>authenticatedHeader[0]</c> and returns its length.
    /// <list type="bullet">
    /// <item>Version 2: header (18: version, algorithm, key id) || column id (16) || k (1) || k row parts || patient part,
    /// each part a type tag and its bytes (<see cref="TagGuid"/> 16 bytes, <see cref="TagSigned"/> 8 bytes big-endian, a
    /// string a 4-byte big-endian length and UTF-8 …; the patient <see cref="TagNone"/> when there is none).</item>
    /// <item>Version 1: lp("hipaa-field-v1") || header (18) || lp(table) || lp(column) || lp(row text) || lp(patient text).</item>
    /// </list>
    /// </summary>
    /// <exception cref="ArgumentException">A string key holds a lone surrogate (it has no UTF-8 encoding), or a composite key has no or more than 255 parts.</exception>
    public int WriteAssociatedData(Span<byte> destination, ReadOnlySpan<byte> authenticatedHeader)
    {
        authenticatedHeader.CopyTo(destination);
        var offset = authenticatedHeader.Length;
        if (authenticatedHeader[0] == FieldCiphertext.FormatVersion1)
        {
            return WriteVersion1(destination, authenticatedHeader);
        }

        Column.Id.CopyTo(destination[offset..]);
        offset += FieldColumn.IdSize;
        if (Row is object?[] parts)
        {
            if (parts.Length is 0 or > byte.MaxValue)
            {
                throw new ArgumentException($"A composite key of {parts.Length} parts cannot be bound: 1 to 255 parts.", nameof(Row));
            }

            destination[offset++] = (byte)parts.Length;
            foreach (var part in parts)
            {
                offset = WritePart(destination, offset, part);
            }
        }
        else
        {
            destination[offset++] = 1;
            offset = WritePart(destination, offset, Row);
        }

        return WritePart(destination, offset, Patient);
    }

    private int WriteVersion1(Span<byte> destination, ReadOnlySpan<byte> authenticatedHeader)
    {
        var offset = 0;
        FieldCiphertext.WriteLengthPrefixed(destination, ref offset, Version1Label);
        authenticatedHeader.CopyTo(destination[offset..]);
        offset += authenticatedHeader.Length;
        Column.Version1TableAndColumn.CopyTo(destination[offset..]);
        offset += Column.Version1TableAndColumn.Length;
        WriteVersion1String(destination, ref offset, Version1Text.Row(Row));
        WriteVersion1String(destination, ref offset, Version1Text.Value(Patient));
        return offset;
    }

    private static void WriteVersion1String(Span<byte> destination, ref int offset, string value)
    {
        var length = Encoding.UTF8.GetBytes(value, destination[(offset + 4)..]);
        BinaryPrimitives.WriteInt32BigEndian(destination[offset..], length);
        offset += 4 + length;
    }

    private static int MaxPartLength(object? value) => value switch
    {
        null => 1,
        Guid => 1 + 16,
        sbyte or short or int or long or byte or ushort or uint or ulong or Enum => 1 + 8,
        string text => 1 + 4 + Encoding.UTF8.GetMaxByteCount(text.Length),
        byte[] bytes => 1 + 4 + bytes.Length,
        _ => 1 + 4 + Encoding.UTF8.GetMaxByteCount(Version1Text.Value(value).Length),
    };

    private static int WritePart(Span<byte> destination, int offset, object? value)
    {
        switch (value)
        {
            case null:
                destination[offset] = TagNone;
                return offset + 1;
            case Guid guid:
                destination[offset] = TagGuid;
                guid.TryWriteBytes(destination.Slice(offset + 1, 16), bigEndian: true, out _);
                return offset + 17;
            case sbyte or short or int or long:
                destination[offset] = TagSigned;
                BinaryPrimitives.WriteInt64BigEndian(destination[(offset + 1)..], Convert.ToInt64(value, CultureInfo.InvariantCulture));
                return offset + 9;
            case byte or ushort or uint or ulong:
                destination[offset] = TagUnsigned;
                BinaryPrimitives.WriteUInt64BigEndian(destination[(offset + 1)..], Convert.ToUInt64(value, CultureInfo.InvariantCulture));
                return offset + 9;
            case Enum:
                // An enum key is bound by its number, as its underlying type: renaming a member does not move the binding.
                return WritePart(destination, offset, Convert.ChangeType(value, Enum.GetUnderlyingType(value.GetType()), CultureInfo.InvariantCulture));
            case string text:
                destination[offset] = TagString;
                return WriteUtf8(destination, offset + 1, text);
            case byte[] bytes:
                destination[offset] = TagBytes;
                BinaryPrimitives.WriteInt32BigEndian(destination[(offset + 1)..], bytes.Length);
                bytes.CopyTo(destination[(offset + 5)..]);
                return offset + 5 + bytes.Length;
            default:
                destination[offset] = TagOther;
                return WriteUtf8(destination, offset + 1, Version1Text.Value(value));
        }
    }

    private static int WriteUtf8(Span<byte> destination, int offset, string text)
    {
        int length;
        try
        {
            length = StrictUtf8.GetBytes(text, destination[(offset + 4)..]);
        }
        catch (EncoderFallbackException)
        {
            // Replacing the surrogate would give two keys one binding. The key itself is not repeated: it may be PHI.
            throw new ArgumentException("A key or patient id that is a string holding a lone surrogate (not valid UTF-16) cannot be bound to a ciphertext.", nameof(text));
        }

        BinaryPrimitives.WriteInt32BigEndian(destination[offset..], length);
        return offset + 4 + length;
    }
}
