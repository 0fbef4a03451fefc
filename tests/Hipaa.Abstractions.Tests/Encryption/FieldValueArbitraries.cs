using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;

namespace Hipaa.Tests.Encryption;

/// <summary>
/// Generators for every type a field can have: full-range bit patterns (not FsCheck's size-bounded numbers), mixed with
/// the edge values that break codecs (NaN payloads, -0.0, decimal scale, every DateTime kind, extreme offsets), and
/// strings of Unicode scalar values from every plane, some long enough to leave the stack-allocated paths.
/// </summary>
public static class FieldValueArbitraries
{
    private delegate T BitReader<T>(ReadOnlySpan<byte> bits);

    // Declared first: static initializers run in textual order.
    private static Gen<byte> Octet { get; } = Gen.Choose(0, 255).Select(b => (byte)b);

    private static Gen<int> Int32Gen { get; } = Gen.ArrayOf(Octet, 4).Select(b => BinaryPrimitives.ReadInt32LittleEndian(b));

    private static Gen<int> ScalarValue { get; } = Gen.Frequency(
    [
        (6, Gen.Choose(0x20, 0x7E)),
        (1, Gen.Choose(0x00, 0x1F)),
        (3, Gen.Choose(0x80, 0xD7FF)),
        (2, Gen.Choose(0xE000, 0xFFFF)),
        (3, Gen.Choose(0x10000, 0x10FFFF)),
    ]);

    /// <summary>Unicode scalar values (never a lone surrogate) from ASCII, control characters, the rest of the BMP and the supplementary planes.</summary>
    internal static Gen<string> TextGen { get; } = Gen.Frequency(
    [
        (6, Gen.ArrayOf(ScalarValue)),
        (1, Gen.Choose(0, 2000).SelectMany(n => Gen.ArrayOf(ScalarValue, n))),
        (1, Gen.Constant(Array.Empty<int>())),
    ]).Select(codePoints => string.Concat(codePoints.Select(char.ConvertFromUtf32)));

    public static Arbitrary<string> Texts() => TextGen.ToArbitrary();

    public static Arbitrary<byte[]> ByteArrays() =>
        Gen.Frequency(
        [
            (5, Gen.ArrayOf(Octet)),
            (1, Gen.Choose(0, 3000).SelectMany(n => Gen.ArrayOf(Octet, n))),
            (1, Gen.Constant(Array.Empty<byte>())),
        ]).ToArbitrary();

    public static Arbitrary<bool> Booleans() => Gen.Elements(false, true).ToArbitrary();

    public static Arbitrary<byte> Octets() => Octet.ToArbitrary();

    public static Arbitrary<sbyte> SignedOctets() => Octet.Select(b => unchecked((sbyte)b)).ToArbitrary();

    public static Arbitrary<short> Int16s() => FromBits(2, BinaryPrimitives.ReadInt16LittleEndian, (short)0, (short)-1, short.MinValue, short.MaxValue);

    public static Arbitrary<ushort> UInt16s() => FromBits(2, BinaryPrimitives.ReadUInt16LittleEndian, (ushort)0, ushort.MaxValue);

    public static Arbitrary<char> Chars() =>
        FromBits(2, b => (char)BinaryPrimitives.ReadUInt16LittleEndian(b), '\0', '\uD800', '\uDFFF', '\uFFFF', 'é');

    public static Arbitrary<int> Int32s() => FromBits(4, BinaryPrimitives.ReadInt32LittleEndian, 0, 1, -1, int.MinValue, int.MaxValue);

    public static Arbitrary<uint> UInt32s() => FromBits(4, BinaryPrimitives.ReadUInt32LittleEndian, 0u, uint.MaxValue);

    public static Arbitrary<long> Int64s() => FromBits(8, BinaryPrimitives.ReadInt64LittleEndian, 0L, -1L, long.MinValue, long.MaxValue);

    public static Arbitrary<ulong> UInt64s() => FromBits(8, BinaryPrimitives.ReadUInt64LittleEndian, 0UL, ulong.MaxValue);

    public static Arbitrary<float> Singles() => FromBits(
        4,
        BinaryPrimitives.ReadSingleLittleEndian,
        float.NaN,
        -float.NaN,
        BitConverter.Int32BitsToSingle(0x7F800001), // signalling NaN
        BitConverter.Int32BitsToSingle(0x7FC12345), // quiet NaN with a payload
        float.PositiveInfinity,
        float.NegativeInfinity,
        0f,
        -0f,
        float.Epsilon,
        float.MaxValue,
        float.MinValue);

    public static Arbitrary<double> Doubles() => FromBits(
        8,
        BinaryPrimitives.ReadDoubleLittleEndian,
        double.NaN,
        -double.NaN,
        BitConverter.Int64BitsToDouble(0x7FF0000000000001), // signalling NaN
        BitConverter.Int64BitsToDouble(0x7FF8DEADBEEF0001), // quiet NaN with a payload
        double.PositiveInfinity,
        double.NegativeInfinity,
        0d,
        -0d,
        double.Epsilon,
        double.MaxValue,
        double.MinValue);

    public static Arbitrary<decimal> Decimals() =>
        Gen.Frequency(
        [
            (4, Gen.Zip(Gen.Zip(Int32Gen, Int32Gen), Gen.Zip(Int32Gen, Gen.Zip(Gen.Elements(false, true), Gen.Choose(0, 28))))
                .Select(t => new decimal(t.Item1.Item1, t.Item1.Item2, t.Item2.Item1, t.Item2.Item2.Item1, (byte)t.Item2.Item2.Item2))),
            (1, Gen.Elements(0m, new decimal(0, 0, 0, true, 3), 1m, 1.0m, 1.00m, -1.50m, decimal.MaxValue, decimal.MinValue, 0.0000000000000000000000000001m)),
        ]).ToArbitrary();

    public static Arbitrary<Guid> Guids() =>
        Gen.Frequency(
        [
            (6, Gen.ArrayOf(Octet, 16).Select(b => new Guid(b))),
            (1, Gen.Elements(Guid.Empty, Guid.AllBitsSet)),
        ]).ToArbitrary();

    public static Arbitrary<DateTime> DateTimes() =>
        Gen.Zip(TicksBetween(0, DateTime.MaxValue.Ticks), Gen.Elements(DateTimeKind.Utc, DateTimeKind.Local, DateTimeKind.Unspecified))
            .Select(t => new DateTime(t.Item1, t.Item2))
            .ToArbitrary();

    public static Arbitrary<DateTimeOffset> DateTimeOffsets() =>
        Gen.Choose(-14 * 60, 14 * 60).SelectMany(minutes =>
        {
            var offset = TimeSpan.FromMinutes(minutes);
            var low = Math.Max(0, offset.Ticks);
            var high = Math.Min(DateTime.MaxValue.Ticks, DateTime.MaxValue.Ticks + offset.Ticks);
            return TicksBetween(low, high).Select(ticks => new DateTimeOffset(ticks, offset));
        }).ToArbitrary();

    public static Arbitrary<DateOnly> DateOnlys() => Gen.Choose(0, DateOnly.MaxValue.DayNumber).Select(DateOnly.FromDayNumber).ToArbitrary();

    public static Arbitrary<TimeOnly> TimeOnlys() => TicksBetween(0, TimeOnly.MaxValue.Ticks).Select(t => new TimeOnly(t)).ToArbitrary();

    public static Arbitrary<TimeSpan> TimeSpans() => FromBits(8, b => new TimeSpan(BinaryPrimitives.ReadInt64LittleEndian(b)), TimeSpan.Zero, TimeSpan.MinValue, TimeSpan.MaxValue);

    public static Arbitrary<AdministrativeSex> AdministrativeSexes() => Octet.Select(b => (AdministrativeSex)b).ToArbitrary();

    public static Arbitrary<EncounterPriority> EncounterPriorities() => Int32Gen.Select(v => (EncounterPriority)v).ToArbitrary();

    public static Arbitrary<ConsentFlags> ConsentFlagSets() => Gen.ArrayOf(Octet, 8).Select(b => (ConsentFlags)BinaryPrimitives.ReadUInt64LittleEndian(b)).ToArbitrary();

    public static Arbitrary<TriageLevel> TriageLevels() => Octet.Select(b => (TriageLevel)unchecked((sbyte)b)).ToArbitrary();

    public static Arbitrary<LedgerCode> LedgerCodes() => Gen.ArrayOf(Octet, 8).Select(b => (LedgerCode)BinaryPrimitives.ReadInt64LittleEndian(b)).ToArbitrary();

    private static Gen<long> TicksBetween(long low, long high) =>
        Gen.Frequency(
        [
            (8, Gen.ArrayOf(Octet, 8).Select(b => low + (long)(BinaryPrimitives.ReadUInt64LittleEndian(b) % (ulong)(high - low + 1)))),
            (1, Gen.Elements(low, high)),
        ]);

    private static Arbitrary<T> FromBits<T>(int size, BitReader<T> read, params T[] edges) =>
        Gen.Frequency(
        [
            (4, Gen.ArrayOf(Octet, size).Select(bits => read(bits))),
            (1, Gen.Elements(edges)),
        ]).ToArbitrary();
    /// <summary>A byte-backed enum (HL7 administrative sex).</summary>
    public enum AdministrativeSex : byte
    {
        Unknown = 0,
        Female = 1,
        Male = 2,
        Other = 3,
    }

    /// <summary>An int-backed enum.</summary>
    public enum EncounterPriority
    {
        Routine = 0,
        Urgent = 1,
        Emergency = 2,
    }

    /// <summary>A ulong-backed flags enum, so values above long.MaxValue occur.</summary>
    [Flags]
    public enum ConsentFlags : ulong
    {
        None = 0,
        Treatment = 1,
        Research = 1UL << 63,
    }

    /// <summary>An sbyte-backed enum with negative members.</summary>
    public enum TriageLevel : sbyte
    {
        Deceased = -1,
        Immediate = 1,
    }

    /// <summary>A long-backed enum.</summary>
    public enum LedgerCode : long
    {
        Debit = long.MinValue,
        Credit = long.MaxValue,
    }
}
