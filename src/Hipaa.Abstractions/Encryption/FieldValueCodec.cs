using System.Buffers.Binary;
using System.Text;

namespace Hipaa.Encryption;

/// <summary>
/// Turns a property value into the bytes that are encrypted, and back (docs/ciphertext-format.md lists each encoding).
/// Fixed-size types are little-endian; strings are UTF-8; enums use their underlying type.
/// </summary>
internal abstract class FieldValueCodec
{
    private static readonly Dictionary<Type, FieldValueCodec> Codecs = new()
    {
        [typeof(string)] = new Utf8StringCodec(),
        [typeof(byte[])] = new BytesCodec(),
        [typeof(bool)] = new FixedCodec<bool>(1, (v, d) => d[0] = v ? (byte)1 : (byte)0, s => s[0] switch
        {
            0 => false,
            1 => true,
            _ => throw new FormatException("A stored bool must be 0 or 1."),
        }),
        [typeof(byte)] = new FixedCodec<byte>(1, (v, d) => d[0] = v, s => s[0]),
        [typeof(sbyte)] = new FixedCodec<sbyte>(1, (v, d) => d[0] = unchecked((byte)v), s => unchecked((sbyte)s[0])),
        [typeof(short)] = new FixedCodec<short>(2, (v, d) => BinaryPrimitives.WriteInt16LittleEndian(d, v), BinaryPrimitives.ReadInt16LittleEndian),
        [typeof(ushort)] = new FixedCodec<ushort>(2, (v, d) => BinaryPrimitives.WriteUInt16LittleEndian(d, v), BinaryPrimitives.ReadUInt16LittleEndian),
        [typeof(char)] = new FixedCodec<char>(2, (v, d) => BinaryPrimitives.WriteUInt16LittleEndian(d, v), s => (char)BinaryPrimitives.ReadUInt16LittleEndian(s)),
        [typeof(int)] = new FixedCodec<int>(4, (v, d) => BinaryPrimitives.WriteInt32LittleEndian(d, v), BinaryPrimitives.ReadInt32LittleEndian),
        [typeof(uint)] = new FixedCodec<uint>(4, (v, d) => BinaryPrimitives.WriteUInt32LittleEndian(d, v), BinaryPrimitives.ReadUInt32LittleEndian),
        [typeof(long)] = new FixedCodec<long>(8, (v, d) => BinaryPrimitives.WriteInt64LittleEndian(d, v), BinaryPrimitives.ReadInt64LittleEndian),
        [typeof(ulong)] = new FixedCodec<ulong>(8, (v, d) => BinaryPrimitives.WriteUInt64LittleEndian(d, v), BinaryPrimitives.ReadUInt64LittleEndian),
        [typeof(float)] = new FixedCodec<float>(4, (v, d) => BinaryPrimitives.WriteSingleLittleEndian(d, v), BinaryPrimitives.ReadSingleLittleEndian),
        [typeof(double)] = new FixedCodec<double>(8, (v, d) => BinaryPrimitives.WriteDoubleLittleEndian(d, v), BinaryPrimitives.ReadDoubleLittleEndian),
        [typeof(decimal)] = new FixedCodec<decimal>(16, WriteDecimal, ReadDecimal),
        [typeof(Guid)] = new FixedCodec<Guid>(16, (v, d) => v.TryWriteBytes(d, bigEndian: true, out _), s => new Guid(s, bigEndian: true)),
        [typeof(DateTime)] = new FixedCodec<DateTime>(8, (v, d) => BinaryPrimitives.WriteInt64LittleEndian(d, v.ToBinary()), s => DateTime.FromBinary(BinaryPrimitives.ReadInt64LittleEndian(s))),
        [typeof(DateTimeOffset)] = new FixedCodec<DateTimeOffset>(10, WriteDateTimeOffset, ReadDateTimeOffset),
        [typeof(DateOnly)] = new FixedCodec<DateOnly>(4, (v, d) => BinaryPrimitives.WriteInt32LittleEndian(d, v.DayNumber), s => DateOnly.FromDayNumber(BinaryPrimitives.ReadInt32LittleEndian(s))),
        [typeof(TimeOnly)] = new FixedCodec<TimeOnly>(8, (v, d) => BinaryPrimitives.WriteInt64LittleEndian(d, v.Ticks), s => new TimeOnly(BinaryPrimitives.ReadInt64LittleEndian(s))),
        [typeof(TimeSpan)] = new FixedCodec<TimeSpan>(8, (v, d) => BinaryPrimitives.WriteInt64LittleEndian(d, v.Ticks), s => new TimeSpan(BinaryPrimitives.ReadInt64LittleEndian(s))),
    };

    /// <summary>Gets the CLR type this codec reads and writes.</summary>
    public abstract Type ClrType { get; }

    /// <summary>Returns the codec for <paramref name="type"/> (nullable and enum types included), or throws a <see cref="NotSupportedException"/> naming the supported types.</summary>
    public static FieldValueCodec For(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying.IsEnum)
        {
            return new EnumCodec(underlying, For(Enum.GetUnderlyingType(underlying)));
        }

        return Codecs.TryGetValue(underlying, out var codec)
            ? codec
            : throw new NotSupportedException(
                $"Properties of type '{type}' cannot be encrypted. Supported: string, byte[], bool, integral and floating-point numbers, decimal, char, Guid, enums, DateTime, DateTimeOffset, DateOnly, TimeOnly, TimeSpan and their nullable forms.");
    }

    public static bool IsSupported(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return underlying.IsEnum || Codecs.ContainsKey(underlying);
    }

    public abstract int GetByteCount(object value);

    public abstract int Write(object value, Span<byte> destination);

    public abstract object Read(ReadOnlySpan<byte> source);

    private static void WriteDecimal(decimal value, Span<byte> destination)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        for (var i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(destination[(i * 4)..], bits[i]);
        }
    }

    private static decimal ReadDecimal(ReadOnlySpan<byte> source)
    {
        Span<int> bits = stackalloc int[4];
        for (var i = 0; i < 4; i++)
        {
            bits[i] = BinaryPrimitives.ReadInt32LittleEndian(source[(i * 4)..]);
        }

        return new decimal(bits);
    }

    private static void WriteDateTimeOffset(DateTimeOffset value, Span<byte> destination)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination, value.Ticks);
        BinaryPrimitives.WriteInt16LittleEndian(destination[8..], checked((short)value.TotalOffsetMinutes));
    }

    private static DateTimeOffset ReadDateTimeOffset(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadInt64LittleEndian(source), TimeSpan.FromMinutes(BinaryPrimitives.ReadInt16LittleEndian(source[8..])));

    private sealed class Utf8StringCodec : FieldValueCodec
    {
        private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        public override Type ClrType => typeof(string);

        public override int GetByteCount(object value) => Strict.GetByteCount((string)value);

        public override int Write(object value, Span<byte> destination) => Strict.GetBytes((string)value, destination);

        public override object Read(ReadOnlySpan<byte> source) => Strict.GetString(source);
    }

    private sealed class BytesCodec : FieldValueCodec
    {
        public override Type ClrType => typeof(byte[]);

        public override int GetByteCount(object value) => ((byte[])value).Length;

        public override int Write(object value, Span<byte> destination)
        {
            var bytes = (byte[])value;
            bytes.CopyTo(destination);
            return bytes.Length;
        }

        public override object Read(ReadOnlySpan<byte> source) => source.ToArray();
    }

    private sealed class FixedCodec<T>(int size, FixedCodec<T>.Writer write, FixedCodec<T>.Reader read) : FieldValueCodec
        where T : struct
    {
        public delegate void Writer(T value, Span<byte> destination);

        public delegate T Reader(ReadOnlySpan<byte> source);

        public override Type ClrType => typeof(T);

        public override int GetByteCount(object value) => size;

        public override int Write(object value, Span<byte> destination)
        {
            write((T)value, destination[..size]);
            return size;
        }

        public override object Read(ReadOnlySpan<byte> source) =>
            source.Length == size
                ? read(source)
                : throw new FormatException($"A stored {typeof(T).Name} must be {size} bytes, not {source.Length}.");
    }

    private sealed class EnumCodec(Type enumType, FieldValueCodec underlying) : FieldValueCodec
    {
        public override Type ClrType => enumType;

        public override int GetByteCount(object value) => underlying.GetByteCount(Convert.ChangeType(value, underlying.ClrType, System.Globalization.CultureInfo.InvariantCulture));

        public override int Write(object value, Span<byte> destination) =>
            underlying.Write(Convert.ChangeType(value, underlying.ClrType, System.Globalization.CultureInfo.InvariantCulture), destination);

        public override object Read(ReadOnlySpan<byte> source) => Enum.ToObject(enumType, underlying.Read(source));
    }
}
