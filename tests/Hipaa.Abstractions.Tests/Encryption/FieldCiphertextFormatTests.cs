using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Hipaa.Encryption;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Hipaa.Tests.Encryption;

/// <summary>
/// Format version 1 exactly as docs/ciphertext-format.md describes it: the header layout, the associated data, the
/// value encodings, the wrapped-key layout and the published test vectors. The SDK writes version 2 now
/// (<see cref="FieldCiphertextVersion2FormatTests"/>) and still reads version 1; the version 1 vectors are produced with
/// the version 1 writer kept for these checks. Each vector is also recomputed here with
/// <see cref="AesGcm"/> straight from the documented layout, so a vector that matches is a check of the document.
/// </summary>
public sealed class FieldCiphertextFormatTests
{
    /// <summary>The vector key: bytes 00 01 02 … 1f.</summary>
    private static readonly byte[] VectorKey = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];

    private static readonly Guid VectorKeyId = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");

    private static readonly byte[] VectorNonce = Convert.FromHexString("cafebabefacedbaddecaf888");

    private static readonly FieldBinding VectorBinding = new(new FieldColumn(string.Empty, "Patients", "Name"), "42", "patient:42");

    /// <summary>The associated data of the vectors, as published.</summary>
    private const string VectorAssociatedDataHex =
        "0000000e" + "68697061612d6669656c642d7631" // lp("hipaa-field-v1")
        + "0101" + "00112233445566778899aabbccddeeff" // version, algorithm, key id
        + "00000008" + "50617469656e7473" // lp("Patients")
        + "00000004" + "4e616d65" // lp("Name")
        + "00000002" + "3432" // lp("42")
        + "0000000a" + "70617469656e743a3432"; // lp("patient:42")

    public static TheoryData<string, object, string, string> Vectors => new()
    {
        {
            "string \"Jane Doe\"",
            "Jane Doe",
            "4a616e6520446f65",
            "0101" + "00112233445566778899aabbccddeeff" + "cafebabefacedbaddecaf888" + "c0c2ce438a3e207e" + "0b9d63ff5b83407567e2828855a8cfb2"
        },
        {
            "int 42",
            42,
            "2a000000",
            "0101" + "00112233445566778899aabbccddeeff" + "cafebabefacedbaddecaf888" + "a0a3a026" + "8532db72266aa3402835f24cb00679b8"
        },
        {
            "empty string",
            string.Empty,
            string.Empty,
            "0101" + "00112233445566778899aabbccddeeff" + "cafebabefacedbaddecaf888" + string.Empty + "9e147515b2dba745ec73725f94da0f26"
        },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void EncryptWithNonceForTestVectors_PublishedVector_GivesExactlyThePublishedBytes(string name, object value, string plaintextHex, string ciphertextHex)
    {
        var stored = FieldCipher.EncryptWithNonceForTestVectors(VectorDataKey(), FieldValueCodec.For(value.GetType()), value, VectorBinding, VectorNonce, FieldCiphertext.FormatVersion1);

        Assert.True(ciphertextHex == Convert.ToHexStringLower(stored), name);
        Assert.Equal(plaintextHex.Length / 2, stored.Length - FieldCiphertext.Overhead);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void PublishedVector_RecomputedFromTheDocumentedLayout_IsAes256GcmOverTheDocumentedAssociatedData(string name, object value, string plaintextHex, string ciphertextHex)
    {
        // Independent of the SDK: header, associated data and AES-GCM assembled by hand as the document says.
        _ = value;
        var header = Convert.FromHexString("0101" + "00112233445566778899aabbccddeeff");
        var associatedData = Concat(Lp(Encoding.UTF8.GetBytes("hipaa-field-v1")), header, Lp("Patients"u8.ToArray()), Lp("Name"u8.ToArray()), Lp("42"u8.ToArray()), Lp("patient:42"u8.ToArray()));
        var plaintext = Convert.FromHexString(plaintextHex);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[16];
        using (var aes = new AesGcm(VectorKey, tagSizeInBytes: 16))
        {
            aes.Encrypt(VectorNonce, plaintext, ciphertext, tag, associatedData);
        }

        Assert.Equal(VectorAssociatedDataHex, Convert.ToHexStringLower(associatedData));
        Assert.True(ciphertextHex == Convert.ToHexStringLower(Concat(header, VectorNonce, ciphertext, tag)), name);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Decrypt_PublishedVector_ReturnsThePlaintext(string name, object value, string plaintextHex, string ciphertextHex)
    {
        _ = plaintextHex;
        var stored = Convert.FromHexString(ciphertextHex);

        Assert.Equal(VectorKeyId, FieldCipher.ReadKeyId(stored, "Patient", "Name"));
        Assert.True(value.Equals(FieldCipher.Decrypt(VectorDataKey(), FieldValueCodec.For(value.GetType()), stored, VectorBinding, "Patient", "Name")), name);
    }

    [Fact]
    public void CiphertextFormatDocument_PublishesTheseVectorsAndThisAssociatedData()
    {
        var document = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "ciphertext-format.md"));
        var compact = string.Concat(document.Where(c => !char.IsWhiteSpace(c)));

        Assert.Contains(Convert.ToHexStringLower(VectorKey), compact, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(VectorNonce), compact, StringComparison.Ordinal);
        Assert.Contains(VectorKeyId.ToString(), document, StringComparison.Ordinal);
        foreach (var vector in Vectors)
        {
            var ciphertextHex = (string)vector[3];
            var plaintextHex = (string)vector[2];
            Assert.Contains(ciphertextHex, compact, StringComparison.Ordinal);
            Assert.Contains($"{ciphertextHex.Length / 2} bytes", document, StringComparison.Ordinal);
            Assert.Contains(plaintextHex, compact, StringComparison.Ordinal);
        }

        // The associated data block, with its comments stripped.
        var associatedData = string.Concat(document
            .Split("Associated data (76 bytes)")[1]
            .Split("```")[1]
            .Split('\n')
            .Select(line => string.Concat(line.Split("  ", 2)[0].Where(c => !char.IsWhiteSpace(c)))));
        Assert.Equal(VectorAssociatedDataHex, associatedData);
    }

    [Fact]
    public void WriteAssociatedData_VectorBinding_IsThePublishedLayout()
    {
        var header = Convert.FromHexString("0101" + "00112233445566778899aabbccddeeff");
        var associatedData = new byte[VectorBinding.MaxAssociatedDataLength(FieldCiphertext.FormatVersion1)];

        var written = VectorBinding.WriteAssociatedData(associatedData, header);

        Assert.Equal(VectorAssociatedDataHex, Convert.ToHexStringLower(associatedData.AsSpan(0, written)));
    }

    [Fact]
    public void WriteAssociatedData_NonAsciiParts_AreLengthPrefixedInUtf8Bytes()
    {
        var binding = new FieldBinding(new FieldColumn(string.Empty, "Pätients", "名前"), "🩺", null);
        var header = new byte[FieldCiphertext.AuthenticatedHeaderSize];
        header[0] = FieldCiphertext.FormatVersion1;
        var associatedData = new byte[binding.MaxAssociatedDataLength(FieldCiphertext.FormatVersion1)];

        var written = binding.WriteAssociatedData(associatedData, header);

        var expected = Concat(Lp("hipaa-field-v1"u8.ToArray()), header, Lp(Encoding.UTF8.GetBytes("Pätients")), Lp(Encoding.UTF8.GetBytes("名前")), Lp(Encoding.UTF8.GetBytes("🩺")), Lp([]));
        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(associatedData.AsSpan(0, written)));
    }

    [Fact]
    public void Encrypt_AnyValue_HasTheVersion1HeaderLayout()
    {
        var keyId = Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
        var key = new DataKey(keyId, KeyScopes.Application, RandomNumberGenerator.GetBytes(32));
        var nonce = RandomNumberGenerator.GetBytes(12);
        var plaintext = Encoding.UTF8.GetBytes("Jane Doe");

        var stored = FieldCipher.EncryptWithNonceForTestVectors(key, FieldValueCodec.For(typeof(string)), "Jane Doe", VectorBinding, nonce, FieldCiphertext.FormatVersion1);

        Assert.Equal(1 + 1 + 16 + 12 + plaintext.Length + 16, stored.Length);
        Assert.Equal(0x01, stored[0]); // format version
        Assert.Equal(0x01, stored[1]); // AES-256-GCM
        Assert.Equal("0f1e2d3c4b5a69788796a5b4c3d2e1f0", Convert.ToHexStringLower(stored.AsSpan(2, 16))); // key id, RFC 4122 (big-endian) order
        Assert.Equal(nonce, stored.AsSpan(18, 12).ToArray());
        Assert.NotEqual(plaintext, stored.AsSpan(30, plaintext.Length).ToArray());
        Assert.DoesNotContain("Jane", Encoding.Latin1.GetString(stored), StringComparison.Ordinal);

        // The tag is the last 16 bytes: decrypting by hand with exactly that split works.
        var associatedData = new byte[VectorBinding.MaxAssociatedDataLength(FieldCiphertext.FormatVersion1)];
        var written = VectorBinding.WriteAssociatedData(associatedData, stored.AsSpan(0, 18));
        var decrypted = new byte[plaintext.Length];
        using var aes = new AesGcm(key.Material, 16);
        aes.Decrypt(stored.AsSpan(18, 12), stored.AsSpan(30, plaintext.Length), stored.AsSpan(stored.Length - 16), decrypted, associatedData.AsSpan(0, written));
        Assert.Equal(plaintext, decrypted);
    }

    [Fact]
    public void FieldCiphertextConstants_Version1_MatchTheDocumentedOffsets()
    {
        Assert.Equal(0x01, FieldCiphertext.FormatVersion1);
        Assert.Equal(0x02, FieldCiphertext.FormatVersion2);
        Assert.Equal(FieldCiphertext.FormatVersion2, FieldCiphertext.CurrentFormatVersion);
        Assert.Equal(0x01, FieldCiphertext.AlgorithmAes256Gcm);
        Assert.Equal(2, FieldCiphertext.KeyIdOffset);
        Assert.Equal(18, FieldCiphertext.NonceOffset);
        Assert.Equal(12, FieldCiphertext.NonceSize);
        Assert.Equal(30, FieldCiphertext.HeaderSize);
        Assert.Equal(16, FieldCiphertext.TagSize);
        Assert.Equal(46, FieldCiphertext.Overhead);
        Assert.Equal(18, FieldCiphertext.AuthenticatedHeaderSize);
    }

    [Theory]
    [InlineData(0x03, 0x01)]
    [InlineData(0x00, 0x01)]
    [InlineData(0x02, 0x02)]
    [InlineData(0x01, 0x02)]
    [InlineData(0xff, 0xff)]
    public void ReadKeyId_OtherVersionOrAlgorithm_ThrowsUnsupportedFormatWithoutRepeatingTheBytes(byte version, byte algorithm)
    {
        var stored = Convert.FromHexString((string)Vectors.First()[3]);
        stored[0] = version;
        stored[1] = algorithm;

        var ex = Assert.Throws<FieldDecryptionException>(() => FieldCipher.ReadKeyId(stored, "Patient", "Name"));

        Assert.Equal(FieldDecryptionFailure.UnsupportedFormat, ex.Failure);
        Assert.Contains("Patient.Name", ex.Message, StringComparison.Ordinal);

        // The first bytes of a value in an unknown format may be plaintext (a legacy value): never repeated.
        Assert.DoesNotContain($"version {version}", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain($"algorithm {algorithm}", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(stored.AsSpan(0, 2)), ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Null(ex.InnerException);
        Assert.False(FieldCiphertext.LooksEncrypted(stored));
    }

    [Fact]
    public void LooksEncrypted_PlaintextAndShortValues_AreNotMistakenForCiphertext()
    {
        Assert.True(FieldCiphertext.LooksEncrypted(Convert.FromHexString((string)Vectors.First()[3])));
        Assert.False(FieldCiphertext.LooksEncrypted("Jane Doe"u8));
        Assert.False(FieldCiphertext.LooksEncrypted(Convert.FromHexString((string)Vectors.First()[3]).AsSpan(0, 45)));
        Assert.False(FieldCiphertext.LooksEncrypted([]));
    }

    [Fact]
    public void EncryptWithNonceForTestVectors_NonceOfAnotherLength_ThrowsArgumentException()
    {
        var codec = FieldValueCodec.For(typeof(int));

        Assert.Throws<ArgumentException>(() => FieldCipher.EncryptWithNonceForTestVectors(VectorDataKey(), codec, 1, VectorBinding, new byte[11]));
        Assert.Throws<ArgumentException>(() => FieldCipher.EncryptWithNonceForTestVectors(VectorDataKey(), codec, 1, VectorBinding, new byte[16]));
    }

    public static TheoryData<string, object, string> Encodings => new()
    {
        { "string: UTF-8, no BOM, no terminator", "Zoë🩺", "5a6fc3abf09fa9ba" },
        { "byte[]: the bytes", new byte[] { 0xde, 0xad }, "dead" },
        { "bool false", false, "00" },
        { "bool true", true, "01" },
        { "byte", (byte)0xfe, "fe" },
        { "sbyte -2", (sbyte)-2, "fe" },
        { "short -2, little-endian", (short)-2, "feff" },
        { "ushort", (ushort)0x1234, "3412" },
        { "char é as UTF-16 code unit", 'é', "e900" },
        { "int 42", 42, "2a000000" },
        { "uint", 0xdeadbeefu, "efbeadde" },
        { "long -1", -1L, "ffffffffffffffff" },
        { "ulong", 0x0102030405060708UL, "0807060504030201" },
        { "float 1.5: IEEE 754 bits", 1.5f, "0000c03f" },
        { "float -0.0", -0.0f, "00000080" },
        { "double 1.5", 1.5d, "000000000000f83f" },
        { "double NaN", BitConverter.Int64BitsToDouble(0x7FF8000000000001), "010000000000f87f" },
        { "decimal 1.50: lo, mid, hi, flags (scale 2)", 1.50m, "96000000" + "00000000" + "00000000" + "00000200" },
        { "decimal -1.5: sign bit in flags", -1.5m, "0f000000" + "00000000" + "00000000" + "00000180" },
        { "Guid: RFC 4122 (big-endian) order", Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"), "00112233445566778899aabbccddeeff" },
        { "enum: its underlying type", FieldValueArbitraries.EncounterPriority.Emergency, "02000000" },
        { "byte enum", FieldValueArbitraries.AdministrativeSex.Male, "02" },
        { "DateTime UTC: ToBinary (kind in the top 2 bits)", new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), BinaryLe(new DateTime(2026, 1, 2, 3, 4, 5).Ticks | (1L << 62)) },
        { "DateTime Unspecified: ToBinary", new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Unspecified), BinaryLe(new DateTime(2026, 1, 2, 3, 4, 5).Ticks) },
        { "DateTimeOffset: clock ticks, offset minutes (int16)", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromMinutes(-330)), BinaryLe(new DateTime(2026, 1, 2, 3, 4, 5).Ticks) + "b6fe" },
        { "DateOnly: day number (int32)", new DateOnly(2026, 1, 2), Int32Le(new DateOnly(2026, 1, 2).DayNumber) },
        { "TimeOnly: ticks (int64)", new TimeOnly(13, 14, 15), BinaryLe(new TimeOnly(13, 14, 15).Ticks) },
        { "TimeSpan: ticks (int64)", TimeSpan.FromHours(-1), "00983b9ef7ffffff" },
    };

    [Theory]
    [MemberData(nameof(Encodings))]
    public void FieldValueCodec_EachType_EncodesAsDocumented(string name, object value, string expectedHex)
    {
        var codec = FieldValueCodec.For(value.GetType());
        var buffer = new byte[codec.GetByteCount(value)];

        var written = codec.Write(value, buffer);

        Assert.Equal(buffer.Length, written);
        Assert.True(expectedHex == Convert.ToHexStringLower(buffer), $"{name}: {Convert.ToHexStringLower(buffer)}");
    }

    [Fact]
    public void FieldValueCodec_DateTimeLocal_StoresTheUtcInstantWithTheLocalFlag()
    {
        var local = new DateTime(2026, 7, 1, 12, 0, 0, DateTimeKind.Local);
        var codec = FieldValueCodec.For(typeof(DateTime));
        var buffer = new byte[8];

        codec.Write(local, buffer);

        var stored = BinaryPrimitives.ReadInt64LittleEndian(buffer);
        Assert.Equal(local.ToBinary(), stored);
        Assert.Equal(2UL, (ulong)stored >> 62); // Local
        Assert.Equal(local, (DateTime)codec.Read(buffer));
    }

    [Fact]
    public void WrappedDataKey_Layout_IsAesGcmUnderTheIntermediateKeyOverTheDocumentedAssociatedData()
    {
        var store = new InMemoryDataKeyStore();
        var kek = new CountingKeyEncryptionKey("kek-format");
        var ring = new KeyRing(store, kek, null, new KeyRingSettings(), new FakeTimeProvider(), NullLogger.Instance);
        var dataKey = ring.GetEncryptionKey(KeyScopes.Patient("MRN-0042"));
        var records = store.Snapshot();
        var intermediate = Assert.Single(records, r => r.Kind == DataKeyKind.Intermediate);
        var data = Assert.Single(records, r => r.Kind == DataKeyKind.Data);
        var intermediateKey = ring.GetDecryptionKey(intermediate.Id);

        // Intermediate: wrapped by the KEK, which names itself.
        Assert.Equal(KeyScopes.Root, intermediate.Scope);
        Assert.Equal("kek-format", intermediate.WrappedBy);
        Assert.Equal(KeyWrapAlgorithm.AesKeyWrap256, intermediate.WrapAlgorithm);

        // Data key: nonce (12) || AES-256-GCM ciphertext of the 32-byte key (32) || tag (16), under the intermediate key,
        // associated data lp("hipaa-key-v1") || key id (16, big-endian) || kind (1) || lp(scope).
        Assert.Equal(intermediate.Id.ToString(), data.WrappedBy);
        Assert.Equal(KeyWrapAlgorithm.AesGcmKeyWrap256, data.WrapAlgorithm);
        var wrapped = data.WrappedKey!;
        Assert.Equal(12 + 32 + 16, wrapped.Length);
        var associatedData = Concat(Lp("hipaa-key-v1"u8.ToArray()), data.Id.ToByteArray(bigEndian: true), [(byte)DataKeyKind.Data], Lp("patient:MRN-0042"u8.ToArray()));
        var material = new byte[32];
        using var aes = new AesGcm(intermediateKey.Material, 16);
        aes.Decrypt(wrapped.AsSpan(0, 12), wrapped.AsSpan(12, 32), wrapped.AsSpan(44, 16), material, associatedData);
        Assert.Equal(dataKey.Material.ToArray(), material);
        Assert.Equal((byte)2, (byte)DataKeyKind.Data);
        Assert.Equal((byte)3, (byte)DataKeyKind.Index);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Hipaa.Sdk.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Hipaa.Sdk.sln above {AppContext.BaseDirectory}.");
    }

    private static DataKey VectorDataKey() => new(VectorKeyId, KeyScopes.Application, VectorKey);

    private static byte[] Lp(byte[] value)
    {
        var result = new byte[4 + value.Length];
        BinaryPrimitives.WriteInt32BigEndian(result, value.Length);
        value.CopyTo(result, 4);
        return result;
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static string BinaryLe(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return Convert.ToHexStringLower(bytes);
    }

    private static string Int32Le(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return Convert.ToHexStringLower(bytes);
    }
}
