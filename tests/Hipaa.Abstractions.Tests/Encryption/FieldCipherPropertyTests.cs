using System.Collections.Concurrent;
using System.Security.Cryptography;
using FsCheck.Xunit;
using Hipaa.Encryption;
using static Hipaa.Tests.Encryption.FieldValueArbitraries;

namespace Hipaa.Tests.Encryption;

/// <summary>
/// The laws of <see cref="FieldCipher"/>: every value of every supported type round-trips exactly; any change to a stored
/// value (a flipped bit, a truncation, a move to another table, column, row or scope) is rejected; the same plaintext
/// never gives the same ciphertext twice.
/// </summary>
public sealed class FieldCipherPropertyTests
{
    private const string Entity = "Patient";
    private const string Property = "Name";

    private static readonly DataKey Key = new(Guid.NewGuid(), KeyScopes.Application, RandomNumberGenerator.GetBytes(DataKey.KeySizeBytes));
    private static readonly FieldBinding Binding = new(new FieldColumn(string.Empty, "Patients", "Name"), "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "patient:MRN-0042");

    // ---- Round trips, one property per supported type ----

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyString_RoundTrips(string value) =>
        Assert.Equal(value, RoundTrip(value), StringComparer.Ordinal);

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyByteArray_RoundTrips(byte[] value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyBool_RoundTrips(bool value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyByte_RoundTrips(byte value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnySByte_RoundTrips(sbyte value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyInt16_RoundTrips(short value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyUInt16_RoundTrips(ushort value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyChar_RoundTrips(char value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyInt32_RoundTrips(int value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyUInt32_RoundTrips(uint value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyInt64_RoundTrips(long value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyUInt64_RoundTrips(ulong value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnySingle_RoundTripsBitForBit(float value) =>
        Assert.Equal(BitConverter.SingleToInt32Bits(value), BitConverter.SingleToInt32Bits(RoundTrip(value)));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyDouble_RoundTripsBitForBit(double value) =>
        Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(RoundTrip(value)));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyDecimal_RoundTripsWithItsScale(decimal value)
    {
        var back = RoundTrip(value);

        Assert.Equal(decimal.GetBits(value), decimal.GetBits(back));
        Assert.Equal(value.Scale, back.Scale);
    }

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyGuid_RoundTrips(Guid value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyByteEnum_RoundTrips(AdministrativeSex value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyInt32Enum_RoundTrips(EncounterPriority value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyUInt64FlagsEnum_RoundTrips(ConsentFlags value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnySByteEnum_RoundTrips(TriageLevel value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyInt64Enum_RoundTrips(LedgerCode value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)], MaxTest = 300)]
    public void EncryptDecrypt_AnyDateTimeOfAnyKind_RoundTripsTicksAndKind(DateTime value)
    {
        var back = RoundTrip(value);

        Assert.Equal(value.Kind, back.Kind);
        if (value.Kind == DateTimeKind.Local && TimeZoneInfo.Local.IsInvalidTime(value))
        {
            // A local time that does not exist (skipped by a DST change) is stored as the instant .NET maps it to.
            Assert.Equal(value.ToUniversalTime(), back.ToUniversalTime());
        }
        else
        {
            Assert.Equal(value.Ticks, back.Ticks);
        }
    }

    [Property(Arbitrary = [typeof(FieldValueArbitraries)], MaxTest = 300)]
    public void EncryptDecrypt_AnyDateTimeOffset_RoundTripsClockTimeAndOffset(DateTimeOffset value)
    {
        var back = RoundTrip(value);

        // DateTimeOffset.Equals compares instants only; the offset must survive too.
        Assert.True(value.EqualsExact(back), $"{value:O} came back as {back:O}.");
    }

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyDateOnly_RoundTrips(DateOnly value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyTimeOnly_RoundTrips(TimeOnly value) => Assert.Equal(value.Ticks, RoundTrip(value).Ticks);

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyTimeSpan_RoundTrips(TimeSpan value) => Assert.Equal(value, RoundTrip(value));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void EncryptDecrypt_AnyValueAsItsNullableType_RoundTrips(int number, DateTimeOffset when, EncounterPriority priority)
    {
        Assert.Equal(number, Decrypt<int?>(Encrypt<int?>(number)));
        Assert.True(when.EqualsExact(Decrypt<DateTimeOffset?>(Encrypt<DateTimeOffset?>(when))!.Value));
        Assert.Equal(priority, Decrypt<EncounterPriority?>(Encrypt<EncounterPriority?>(priority)));
    }

    [Theory]
    [InlineData(0x7FC00000)] // NaN
    [InlineData(unchecked((int)0xFFC00000))] // -NaN
    [InlineData(0x7F800001)] // signalling NaN
    [InlineData(0x7FBFFFFF)] // signalling NaN, all payload bits
    [InlineData(0x7F800000)] // +Infinity
    [InlineData(unchecked((int)0xFF800000))] // -Infinity
    [InlineData(unchecked((int)0x80000000))] // -0.0
    [InlineData(0x00000001)] // smallest subnormal
    public void EncryptDecrypt_SpecialSingle_RoundTripsBitForBit(int bits)
    {
        var value = BitConverter.Int32BitsToSingle(bits);

        Assert.Equal(bits, BitConverter.SingleToInt32Bits(RoundTrip(value)));
    }

    [Theory]
    [InlineData(0x7FF8000000000000)] // NaN
    [InlineData(unchecked((long)0xFFF8000000000000))] // -NaN
    [InlineData(0x7FF0000000000001)] // signalling NaN
    [InlineData(0x7FF7FFFFFFFFFFFF)] // signalling NaN, all payload bits
    [InlineData(0x7FF0000000000000)] // +Infinity
    [InlineData(unchecked((long)0xFFF0000000000000))] // -Infinity
    [InlineData(unchecked((long)0x8000000000000000))] // -0.0
    [InlineData(0x0000000000000001)] // smallest subnormal
    public void EncryptDecrypt_SpecialDouble_RoundTripsBitForBit(long bits)
    {
        var value = BitConverter.Int64BitsToDouble(bits);

        Assert.Equal(bits, BitConverter.DoubleToInt64Bits(RoundTrip(value)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Jane Doe")]
    [InlineData("Zoë Ångström-Øster")]
    [InlineData("患者 山田太郎")]
    [InlineData("🩺 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \U0010FFFF")]
    [InlineData("nul\0inside")]
    [InlineData("\uFEFFbyte order mark")]
    public void EncryptDecrypt_NotableString_RoundTrips(string value) =>
        Assert.Equal(value, RoundTrip(value), StringComparer.Ordinal);

    [Fact]
    public void EncryptDecrypt_EmptyStringAndEmptyBytes_StayEmptyAndDistinctFromEachOther()
    {
        var emptyString = Encrypt(string.Empty);
        var emptyBytes = Encrypt(Array.Empty<byte>());

        Assert.Equal(FieldCiphertext.Overhead, emptyString.Length);
        Assert.Equal(FieldCiphertext.Overhead, emptyBytes.Length);
        Assert.Equal(string.Empty, Decrypt<string>(emptyString));
        Assert.Empty(Decrypt<byte[]>(emptyBytes));
    }

    [Theory]
    [InlineData(DateTimeKind.Utc)]
    [InlineData(DateTimeKind.Local)]
    [InlineData(DateTimeKind.Unspecified)]
    public void EncryptDecrypt_DateTimeExtremesOfEachKind_RoundTrip(DateTimeKind kind)
    {
        foreach (var ticks in new[] { 0L, TimeSpan.TicksPerDay, new DateTime(2026, 3, 8, 2, 30, 0).Ticks, DateTime.MaxValue.Ticks - TimeSpan.TicksPerDay, DateTime.MaxValue.Ticks })
        {
            var value = new DateTime(ticks, kind);
            var back = RoundTrip(value);

            Assert.Equal(kind, back.Kind);
            if (kind != DateTimeKind.Local || TimeZoneInfo.Local.BaseUtcOffset == TimeSpan.Zero)
            {
                Assert.Equal(value.Ticks, back.Ticks);
            }
        }
    }

    [Fact]
    public void EncryptDecrypt_DateTimeOffsetWithExtremeOffsets_KeepsTheOffset()
    {
        DateTimeOffset[] values =
        [
            new(2026, 11, 25, 8, 30, 0, TimeSpan.FromHours(14)),
            new(2026, 11, 25, 8, 30, 0, TimeSpan.FromHours(-14)),
            new(2026, 11, 25, 8, 30, 0, new TimeSpan(5, 45, 0)),
            new(2026, 11, 25, 8, 30, 0, new TimeSpan(-9, -30, 0)),
            DateTimeOffset.MinValue,
            DateTimeOffset.MaxValue,
        ];

        foreach (var value in values)
        {
            var back = RoundTrip(value);
            Assert.Equal(value.Offset, back.Offset);
            Assert.Equal(value.DateTime, back.DateTime);
        }
    }

    [Fact]
    public void EncryptDecrypt_DecimalsThatCompareEqual_KeepTheirOwnScale()
    {
        Assert.Equal("1", RoundTrip(1m).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("1.0", RoundTrip(1.0m).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("1.000", RoundTrip(1.000m).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(decimal.GetBits(new decimal(0, 0, 0, true, 2)), decimal.GetBits(RoundTrip(new decimal(0, 0, 0, true, 2))));
    }

    [Fact]
    public void Encrypt_StringWithALoneSurrogate_ThrowsInsteadOfStoringAReplacementCharacter()
    {
        var codec = FieldValueCodec.For(typeof(string));

        Assert.ThrowsAny<ArgumentException>(() => FieldCipher.Encrypt(Key, codec, "before\uD800after", Binding));
        Assert.ThrowsAny<ArgumentException>(() => FieldCipher.Encrypt(Key, codec, "\uDC00", Binding));
    }

    [Fact]
    public void FieldValueCodec_UnsupportedType_ThrowsNotSupportedNamingTheType()
    {
        var ex = Assert.Throws<NotSupportedException>(() => FieldValueCodec.For(typeof(Uri)));

        Assert.Contains("System.Uri", ex.Message, StringComparison.Ordinal);
        Assert.False(FieldValueCodec.IsSupported(typeof(Uri)));
        Assert.True(FieldValueCodec.IsSupported(typeof(DateOnly?)));
        Assert.True(FieldValueCodec.IsSupported(typeof(ConsentFlags?)));
    }

    [Fact]
    public void Decrypt_ValueWrittenAsAnotherType_ThrowsMalformedNamingTheFieldNotTheValue()
    {
        var asByte = Encrypt((byte)2);
        var asInt = Encrypt(123_456_789);
        var asBytes = Encrypt(new byte[] { 0xC3, 0x28 }); // not UTF-8

        var boolError = Assert.Throws<FieldDecryptionException>(() => Decrypt<bool>(asByte));
        var longError = Assert.Throws<FieldDecryptionException>(() => Decrypt<long>(asInt));
        var stringError = Assert.Throws<FieldDecryptionException>(() => Decrypt<string>(asBytes));

        foreach (var error in new[] { boolError, longError, stringError })
        {
            Assert.Equal(FieldDecryptionFailure.Malformed, error.Failure);
            Assert.Equal(Key.Id.ToString(), error.KeyId);
            Assert.Contains($"{Entity}.{Property}", error.Message, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("123456789", longError.Message, StringComparison.Ordinal);
    }

    // ---- Tampering: single-bit flips ----

    [Property(Arbitrary = [typeof(FieldValueArbitraries)], MaxTest = 300)]
    public void Decrypt_AnySingleBitFlipOfAStringValue_IsRejected(string value, uint position)
    {
        var stored = Encrypt(value);
        var bit = (int)(position % (uint)(stored.Length * 8));

        AssertFlipRejected(stored, bit, FieldValueCodec.For(typeof(string)));
    }

    [Property(Arbitrary = [typeof(FieldValueArbitraries)], MaxTest = 300)]
    public void Decrypt_AnySingleBitFlipOfANumericValue_IsRejected(decimal value, uint position)
    {
        var stored = Encrypt(value);
        var bit = (int)(position % (uint)(stored.Length * 8));

        AssertFlipRejected(stored, bit, FieldValueCodec.For(typeof(decimal)));
    }

    public static TheoryData<string, object> FlipSubjects => new()
    {
        { "empty string", string.Empty },
        { "name", "Jane Doe" },
        { "int", 42 },
        { "bool", true },
        { "empty bytes", Array.Empty<byte>() },
        { "date of birth", new DateOnly(1980, 2, 29) },
        { "long note (heap path)", new string('x', 600) },
    };

    [Theory]
    [MemberData(nameof(FlipSubjects))]
    public void Decrypt_EverySingleBitFlip_IsRejectedWithTheFailureOfTheFieldItHits(string subject, object value)
    {
        var codec = FieldValueCodec.For(value.GetType());
        var stored = FieldCipher.Encrypt(Key, codec, value, Binding);
        var failures = new Dictionary<FieldDecryptionFailure, int>();

        for (var bit = 0; bit < stored.Length * 8; bit++)
        {
            var failure = AssertFlipRejected(stored, bit, codec);
            failures[failure] = failures.GetValueOrDefault(failure) + 1;
        }

        // 16 bits of version and algorithm, 128 of key id, everything else authentication.
        Assert.True(failures.GetValueOrDefault(FieldDecryptionFailure.UnsupportedFormat) == 16, subject);
        Assert.True(failures.GetValueOrDefault(FieldDecryptionFailure.UnknownKey) == 128, subject);
        Assert.True(failures.GetValueOrDefault(FieldDecryptionFailure.AuthenticationFailed) == (stored.Length - FieldCiphertext.NonceOffset) * 8, subject);
        Assert.Equal(value is byte[] bytes ? bytes : value, Decrypt(stored, codec, Binding));
    }

    // ---- Randomized encryption ----

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void Encrypt_SamePlaintextTwice_NeverGivesTheSameCiphertext(string value)
    {
        var first = Encrypt(value);
        var second = Encrypt(value);

        Assert.NotEqual(first, second);
        Assert.NotEqual(
            first.AsSpan(FieldCiphertext.NonceOffset, FieldCiphertext.NonceSize).ToArray(),
            second.AsSpan(FieldCiphertext.NonceOffset, FieldCiphertext.NonceSize).ToArray());
        Assert.Equal(value, Decrypt<string>(first));
        Assert.Equal(value, Decrypt<string>(second));
    }

    [Fact]
    public async Task Encrypt_ManyTimesOnManyThreads_NeverRepeatsANonce()
    {
        const int Threads = 4;
        const int PerThread = 5_000;
        var nonces = new ConcurrentDictionary<string, bool>();
        var codec = FieldValueCodec.For(typeof(int));
        using var start = new Barrier(Threads);

        await Task.WhenAll(Enumerable.Range(0, Threads).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                for (var i = 0; i < PerThread; i++)
                {
                    var stored = FieldCipher.Encrypt(Key, codec, 7, Binding);
                    Assert.True(nonces.TryAdd(Convert.ToHexString(stored, FieldCiphertext.NonceOffset, FieldCiphertext.NonceSize), true));
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)));

        Assert.Equal(Threads * PerThread, nonces.Count);
    }

    // ---- Binding: table, column, row and scope ----

    [Property(Arbitrary = [typeof(FieldValueArbitraries)], MaxTest = 300)]
    public void Decrypt_WithAnyOtherTableColumnRowOrScope_IsRejected(string table, string column, string row, string scope, string replacement, byte which, string value)
    {
        string[] parts = [table, column, row, scope];
        var index = which % 4;
        parts[index] = string.Equals(replacement, parts[index], StringComparison.Ordinal) ? replacement + "'" : replacement;
        var original = new FieldBinding(new FieldColumn(string.Empty, table, column), row, scope);
        var moved = new FieldBinding(new FieldColumn(string.Empty, parts[0], parts[1]), parts[2], parts[3]);
        var codec = FieldValueCodec.For(typeof(string));
        var stored = FieldCipher.Encrypt(Key, codec, value, original);

        var ex = Assert.Throws<FieldDecryptionException>(() => Decrypt(stored, codec, moved));

        Assert.Equal(FieldDecryptionFailure.AuthenticationFailed, ex.Failure);
        Assert.Equal(value, Decrypt(stored, codec, original));
    }

    public static TheoryData<string, string, string, string> MovedBindings => new()
    {
        // Another table, column, row or scope.
        { "Encounters", "Name", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "patient:MRN-0042" },
        { "Patients", "Mrn", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "patient:MRN-0042" },
        { "Patients", "Name", "3f2504e0-4f89-11d3-9a0c-0305e82c3302", "patient:MRN-0042" },
        { "Patients", "Name", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "patient:MRN-0043" },
        { "Patients", "Name", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", string.Empty },

        // The same bytes split differently between the parts: length prefixes keep them apart.
        { "PatientsN", "ame", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "patient:MRN-0042" },
        { "Patients", "Name3", "f2504e0-4f89-11d3-9a0c-0305e82c3301", "patient:MRN-0042" },
        { "Patients", "Name", "3f2504e0-4f89-11d3-9a0c-0305e82c3301patient:", "MRN-0042" },

        // Case and Unicode normalization are not folded.
        { "patients", "Name", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "patient:MRN-0042" },
        { "Patients", "Name", "3F2504E0-4F89-11D3-9A0C-0305E82C3301", "patient:MRN-0042" },
    };

    [Theory]
    [MemberData(nameof(MovedBindings))]
    public void Decrypt_CopiedToAnotherBinding_FailsAuthenticationAndNamesTheField(string table, string column, string row, string scope)
    {
        var codec = FieldValueCodec.For(typeof(string));
        var stored = FieldCipher.Encrypt(Key, codec, "Jane Doe", Binding);

        var ex = Assert.Throws<FieldDecryptionException>(() => Decrypt(stored, codec, new FieldBinding(new FieldColumn(string.Empty, table, column), row, scope)));

        Assert.Equal(FieldDecryptionFailure.AuthenticationFailed, ex.Failure);
        Assert.Equal(Entity, ex.Entity);
        Assert.Equal(Property, ex.Property);
        Assert.Equal(Key.Id.ToString(), ex.KeyId);
        Assert.Contains(Key.Id.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Jane", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decrypt_UnderAnotherKeyWithTheSameId_FailsAuthentication()
    {
        var impostor = new DataKey(Key.Id, Key.Scope, RandomNumberGenerator.GetBytes(DataKey.KeySizeBytes));
        var codec = FieldValueCodec.For(typeof(string));
        var stored = FieldCipher.Encrypt(Key, codec, "Jane Doe", Binding);

        var ex = Assert.Throws<FieldDecryptionException>(() => FieldCipher.Decrypt(impostor, codec, stored, Binding, Entity, Property));

        Assert.Equal(FieldDecryptionFailure.AuthenticationFailed, ex.Failure);
    }

    // ---- Truncation ----

    [Theory]
    [MemberData(nameof(FlipSubjects))]
    public void ReadKeyIdThenDecrypt_EveryTruncation_IsRejected(string subject, object value)
    {
        var codec = FieldValueCodec.For(value.GetType());
        var stored = FieldCipher.Encrypt(Key, codec, value, Binding);

        for (var length = 0; length < stored.Length; length++)
        {
            var truncated = stored.AsSpan(0, length).ToArray();

            var ex = Assert.Throws<FieldDecryptionException>(() => Decrypt(truncated, codec, Binding));

            // Shorter than header + tag: recognisably malformed. Longer: the tag is taken from the wrong bytes and fails.
            var expected = length < FieldCiphertext.Overhead ? FieldDecryptionFailure.Malformed : FieldDecryptionFailure.AuthenticationFailed;
            Assert.True(expected == ex.Failure, $"{subject}, length {length}: {ex.Failure}");
        }
    }

    [Fact]
    public void ReadKeyId_ShorterThanHeaderAndTag_ThrowsMalformedNamingTheLength()
    {
        var ex = Assert.Throws<FieldDecryptionException>(() => FieldCipher.ReadKeyId(new byte[FieldCiphertext.Overhead - 1], Entity, Property));

        Assert.Equal(FieldDecryptionFailure.Malformed, ex.Failure);
        Assert.Null(ex.KeyId);
        Assert.Contains("45 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{Entity}.{Property}", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(FieldCiphertext.HeaderSize)]
    [InlineData(FieldCiphertext.Overhead - 1)]
    public void Decrypt_ShorterThanHeaderAndTagWithoutReadKeyIdFirst_ThrowsMalformed(int length)
    {
        // Decrypt is the last step of every read; it must not rely on its caller having checked the length.
        var stored = Encrypt("Jane Doe").AsSpan(0, length).ToArray();

        var ex = Assert.Throws<FieldDecryptionException>(() => FieldCipher.Decrypt(Key, FieldValueCodec.For(typeof(string)), stored, Binding, Entity, Property));

        Assert.Equal(FieldDecryptionFailure.Malformed, ex.Failure);
    }

    // ---- Helpers ----

    /// <summary>Flips one bit and reads the value the way the EF runtime does: read the key id, find the key, decrypt.</summary>
    private static FieldDecryptionFailure AssertFlipRejected(byte[] stored, int bit, FieldValueCodec codec)
    {
        var tampered = stored.ToArray();
        tampered[bit / 8] ^= (byte)(1 << (bit % 8));
        var offset = bit / 8;

        var ex = Assert.Throws<FieldDecryptionException>(() => Decrypt(tampered, codec, Binding));

        var expected = offset switch
        {
            < FieldCiphertext.KeyIdOffset => FieldDecryptionFailure.UnsupportedFormat,
            < FieldCiphertext.NonceOffset => FieldDecryptionFailure.UnknownKey,
            _ => FieldDecryptionFailure.AuthenticationFailed,
        };
        Assert.True(expected == ex.Failure, $"bit {bit} (byte {offset}): expected {expected}, got {ex.Failure}");

        if (offset < FieldCiphertext.NonceOffset)
        {
            // Handed straight to Decrypt with the original key, the header is checked before anything else.
            var direct = Assert.Throws<FieldDecryptionException>(() => FieldCipher.Decrypt(Key, codec, tampered, Binding, Entity, Property));
            Assert.Equal(expected == FieldDecryptionFailure.UnknownKey ? FieldDecryptionFailure.AuthenticationFailed : expected, direct.Failure);
        }

        if (expected == FieldDecryptionFailure.UnknownKey)
        {
            // The key id is authenticated too: even a key store that answered the altered id with the same key material fails.
            var relabelled = new DataKey(FieldCipher.ReadKeyId(tampered, Entity, Property), Key.Scope, Key.Material);
            var forged = Assert.Throws<FieldDecryptionException>(() => FieldCipher.Decrypt(relabelled, codec, tampered, Binding, Entity, Property));
            Assert.Equal(FieldDecryptionFailure.AuthenticationFailed, forged.Failure);
        }

        return ex.Failure;
    }

    /// <summary>The read path of the runtime, with a key store that holds exactly <see cref="Key"/>.</summary>
    private static object Decrypt(byte[] stored, FieldValueCodec codec, FieldBinding binding)
    {
        var keyId = FieldCipher.ReadKeyId(stored, Entity, Property);
        if (keyId != Key.Id)
        {
            throw new FieldDecryptionException(FieldDecryptionFailure.UnknownKey, Entity, Property, keyId.ToString(), $"Data key {keyId} is not in the key store.");
        }

        return FieldCipher.Decrypt(Key, codec, stored, binding, Entity, Property);
    }

    private static byte[] Encrypt<T>(T value) => FieldCipher.Encrypt(Key, FieldValueCodec.For(typeof(T)), value!, Binding);

    private static T Decrypt<T>(byte[] stored) => (T)Decrypt(stored, FieldValueCodec.For(typeof(T)), Binding);

    private static T RoundTrip<T>(T value)
        where T : notnull
    {
        var codec = FieldValueCodec.For(typeof(T));
        var stored = FieldCipher.Encrypt(Key, codec, value, Binding);

        Assert.Equal(FieldCiphertext.GetLength(codec.GetByteCount(value)), stored.Length);
        Assert.Equal(Key.Id, FieldCipher.ReadKeyId(stored, Entity, Property));
        return Assert.IsType<T>(Decrypt(stored, codec, Binding));
    }
}
