using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Hipaa.Encryption;

namespace Hipaa.Tests.Encryption;

/// <summary>
/// Format version 2 exactly as docs/ciphertext-format.md describes it: the column id, the binary associated data with its
/// type tags, the published test vectors (recomputed here with <see cref="AesGcm"/> straight from the documented layout,
/// without the SDK), that version 1 values still decrypt, and that no value can be read as the other version.
/// </summary>
public sealed class FieldCiphertextVersion2FormatTests
{
    private const string Entity = "Patient";
    private const string Property = "Name";

    private static readonly byte[] VectorKey = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
    private static readonly Guid VectorKeyId = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
    private static readonly byte[] VectorNonce = Convert.FromHexString("cafebabefacedbaddecaf888");
    private static readonly Guid RowId = Guid.Parse("3f2504e0-4f89-11d3-9a0c-0305e82c3301");
    private static readonly Guid PatientId = Guid.Parse("0195f0a0-0000-7000-8000-000000000042");

    /// <summary>name, value, plaintext hex, binding, associated data hex (as published), stored value hex (as published).</summary>
    public static TheoryData<string, object, string, string, string> Vectors => new()
    {
        {
            "string \"Jane Doe\"",
            "Jane Doe",
            "guid-row-guid-patient",
            "0201" + "00112233445566778899aabbccddeeff" + "0de4f34ba99df8812db8fe65a6686d6a" + "01" + "02" + "3f2504e04f8911d39a0c0305e82c3301" + "02" + "0195f0a0000070008000000000000042",
            "0201" + "00112233445566778899aabbccddeeff" + "cafebabefacedbaddecaf888" + "c0c2ce438a3e207e" + "369974a628167acf510f827961046270"
        },
        {
            "int 42",
            42,
            "long-row-string-patient",
            "0201" + "00112233445566778899aabbccddeeff" + "ed6b7f9a921eac9910292fcfd77bbdbd" + "01" + "03" + "000000000000002a" + "01" + "00000008" + "4d524e2d30303432",
            "0201" + "00112233445566778899aabbccddeeff" + "cafebabefacedbaddecaf888" + "a0a3a026" + "141d6bf21a3479426d13ae826f984953"
        },
        {
            "empty string",
            string.Empty,
            "composite-row-no-patient",
            "0201" + "00112233445566778899aabbccddeeff" + "c17fc7789530d2bb4bc6850e10d8a298" + "02" + "02" + "3f2504e04f8911d39a0c0305e82c3301" + "03" + "0000000000000007" + "00",
            "0201" + "00112233445566778899aabbccddeeff" + "cafebabefacedbaddecaf888" + string.Empty + "302ba2bb811ab9dc233fbd1d36ff108f"
        },
    };

    /// <summary>The three bindings of the vectors: a Guid row and patient; a long row, a string patient and a schema; a composite key and no patient.</summary>
    private static FieldBinding VectorBinding(string name) => name switch
    {
        "guid-row-guid-patient" => new(new FieldColumn(string.Empty, "Patients", "Name"), RowId, PatientId),
        "long-row-string-patient" => new(new FieldColumn("clinic", "Notes", "Text"), 42L, "MRN-0042"),
        "composite-row-no-patient" => new(new FieldColumn(string.Empty, "Consents", "Purpose"), new object?[] { RowId, 7 }, null),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void EncryptWithNonceForTestVectors_Version2Vector_GivesExactlyThePublishedBytes(string name, object value, string binding, string associatedDataHex, string storedHex)
    {
        _ = associatedDataHex;
        var stored = FieldCipher.EncryptWithNonceForTestVectors(VectorDataKey(), FieldValueCodec.For(value.GetType()), value, VectorBinding(binding), VectorNonce);

        Assert.True(storedHex == Convert.ToHexStringLower(stored), $"{name}: {Convert.ToHexStringLower(stored)}");
        Assert.Equal(FieldCiphertext.FormatVersion2, stored[0]);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Version2Vector_RecomputedFromTheDocumentedLayout_IsAes256GcmOverTheDocumentedAssociatedData(string name, object value, string binding, string associatedDataHex, string storedHex)
    {
        // Independent of the SDK: the column id, the associated data and AES-GCM assembled by hand as the document says.
        var header = Convert.FromHexString("0201" + "00112233445566778899aabbccddeeff");
        var associatedData = binding switch
        {
            "guid-row-guid-patient" => Concat(header, ColumnId(string.Empty, "Patients", "Name"), [1], [0x02], RowId.ToByteArray(bigEndian: true), [0x02], PatientId.ToByteArray(bigEndian: true)),
            "long-row-string-patient" => Concat(header, ColumnId("clinic", "Notes", "Text"), [1], [0x03], Int64Be(42), [0x01], Lp("MRN-0042"u8.ToArray())),
            _ => Concat(header, ColumnId(string.Empty, "Consents", "Purpose"), [2], [0x02], RowId.ToByteArray(bigEndian: true), [0x03], Int64Be(7), [0x00]),
        };
        var codec = FieldValueCodec.For(value.GetType());
        var plaintext = new byte[codec.GetByteCount(value)];
        codec.Write(value, plaintext);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[16];
        using (var aes = new AesGcm(VectorKey, tagSizeInBytes: 16))
        {
            aes.Encrypt(VectorNonce, plaintext, ciphertext, tag, associatedData);
        }

        Assert.True(associatedDataHex == Convert.ToHexStringLower(associatedData), name);
        Assert.True(storedHex == Convert.ToHexStringLower(Concat(header, VectorNonce, ciphertext, tag)), name);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void WriteAssociatedData_Version2Vector_IsThePublishedLayout(string name, object value, string binding, string associatedDataHex, string storedHex)
    {
        _ = value;
        var header = Convert.FromHexString(storedHex)[..FieldCiphertext.AuthenticatedHeaderSize];
        var bound = VectorBinding(binding);
        var associatedData = new byte[bound.MaxAssociatedDataLength(FieldCiphertext.FormatVersion2)];

        var written = bound.WriteAssociatedData(associatedData, header);

        Assert.True(associatedDataHex == Convert.ToHexStringLower(associatedData.AsSpan(0, written)), name);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Decrypt_Version2Vector_ReturnsThePlaintext(string name, object value, string binding, string associatedDataHex, string storedHex)
    {
        _ = associatedDataHex;
        var stored = Convert.FromHexString(storedHex);

        Assert.Equal(VectorKeyId, FieldCipher.ReadKeyId(stored, Entity, Property));
        Assert.True(value.Equals(FieldCipher.Decrypt(VectorDataKey(), FieldValueCodec.For(value.GetType()), stored, VectorBinding(binding), Entity, Property)), name);
    }

    [Fact]
    public void CiphertextFormatDocument_PublishesTheVersion2VectorsAndColumnIds()
    {
        var document = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "ciphertext-format.md"));
        var compact = string.Concat(document.Where(c => !char.IsWhiteSpace(c)));

        var number = 0;
        foreach (var vector in Vectors)
        {
            number++;
            var associatedDataHex = (string)vector[3];
            var storedHex = (string)vector[4];
            Assert.Contains(storedHex, compact, StringComparison.Ordinal);
            Assert.Contains($"stored value of {storedHex.Length / 2} bytes", document, StringComparison.Ordinal);

            // The associated data block of the vector, with its comments stripped.
            var published = string.Concat(document
                .Split($"**Vector {number}**, associated data of {associatedDataHex.Length / 2} bytes:")[1]
                .Split("```")[1]
                .Split('\n')
                .Select(line => string.Concat(line.Split("  ", 2)[0].Where(c => !char.IsWhiteSpace(c)))));
            Assert.Equal(associatedDataHex, published);
        }

        Assert.Contains(Convert.ToHexStringLower(ColumnId(string.Empty, "Patients", "Name")), compact, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(ColumnId("clinic", "Notes", "Text")), compact, StringComparison.Ordinal);
    }

    [Fact]
    public void FieldColumn_Id_IsTheFirst16BytesOfSha256OverTheLengthPrefixedLabelSchemaTableAndColumn()
    {
        var column = new FieldColumn("archive", "Notes", "Text");

        var expected = SHA256.HashData(Concat(Lp("hipaa-column-v2"u8.ToArray()), Lp("archive"u8.ToArray()), Lp("Notes"u8.ToArray()), Lp("Text"u8.ToArray())))[..16];
        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(column.Id));
        Assert.NotEqual(Convert.ToHexStringLower(column.Id), Convert.ToHexStringLower(new FieldColumn(string.Empty, "Notes", "Text").Id));
        Assert.NotEqual(Convert.ToHexStringLower(column.Id), Convert.ToHexStringLower(new FieldColumn("archiv", "eNotes", "Text").Id));
    }

    [Fact]
    public void Encrypt_AnyValue_WritesVersion2AndDecryptsByHandWithTheDocumentedAssociatedData()
    {
        var key = new DataKey(Guid.CreateVersion7(), KeyScopes.Application, RandomNumberGenerator.GetBytes(32));
        var binding = VectorBinding("guid-row-guid-patient");

        var stored = FieldCipher.Encrypt(key, FieldValueCodec.For(typeof(string)), "Jane Doe", binding);

        Assert.Equal(FieldCiphertext.Overhead + 8, stored.Length);
        Assert.Equal(0x02, stored[0]);
        Assert.Equal(0x01, stored[1]);
        var associatedData = Concat(stored[..18], ColumnId(string.Empty, "Patients", "Name"), [1], [0x02], RowId.ToByteArray(bigEndian: true), [0x02], PatientId.ToByteArray(bigEndian: true));
        var decrypted = new byte[8];
        using var aes = new AesGcm(key.Material, 16);
        aes.Decrypt(stored.AsSpan(18, 12), stored.AsSpan(30, 8), stored.AsSpan(38), decrypted, associatedData);
        Assert.Equal("Jane Doe"u8.ToArray(), decrypted);
    }

    // ---- Unambiguous parts: type tags and lengths ----

    public static TheoryData<string, object?, object?> DistinctRows => new()
    {
        { "string \"1\" and long 1", "1", 1L },
        { "long 1 and ulong 1 (signed and unsigned)", 1L, 1UL },
        { "Guid and its text", RowId, RowId.ToString("D") },
        { "byte[] and the string of its bytes", "AB"u8.ToArray(), "AB" },
        { "composite (a, b) and single \"a\\u001fb\" (version 1 joined them)", new object?[] { "a", "b" }, "a\u001fb" },
        { "composite (1, 23) and (12, 3)", new object?[] { "1", "23" }, new object?[] { "12", "3" } },
        { "composite (7) and (7, 0): the number of parts is bound", new object?[] { 7 }, new object?[] { 7, 0 } },
        { "DateTime and its round-trip text", new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), "2026-01-02T03:04:05.0000000Z" },
    };

    [Theory]
    [MemberData(nameof(DistinctRows))]
    public void Decrypt_RowOfAnotherTypeOrSplitWithTheSameText_FailsAuthentication(string name, object? row, object? otherRow)
    {
        var column = new FieldColumn(string.Empty, "Patients", "Name");
        var key = VectorDataKey();
        var codec = FieldValueCodec.For(typeof(string));
        var stored = FieldCipher.Encrypt(key, codec, "Jane Doe", new FieldBinding(column, row, null));

        var ex = Assert.Throws<FieldDecryptionException>(() => FieldCipher.Decrypt(key, codec, stored, new FieldBinding(column, otherRow, null), Entity, Property));

        Assert.True(ex.Failure == FieldDecryptionFailure.AuthenticationFailed, name);
        Assert.Equal("Jane Doe", FieldCipher.Decrypt(key, codec, stored, new FieldBinding(column, row, null), Entity, Property));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    public void Decrypt_NoPatientAndAnEmptyOrZeroPatient_AreDifferentBindings(string patient)
    {
        var column = new FieldColumn(string.Empty, "Patients", "Name");
        var codec = FieldValueCodec.For(typeof(string));
        var stored = FieldCipher.Encrypt(VectorDataKey(), codec, "Jane Doe", new FieldBinding(column, 1L, null));

        var ex = Assert.Throws<FieldDecryptionException>(() => FieldCipher.Decrypt(VectorDataKey(), codec, stored, new FieldBinding(column, 1L, patient), Entity, Property));

        Assert.Equal(FieldDecryptionFailure.AuthenticationFailed, ex.Failure);
    }

    [Fact]
    public void Decrypt_IntAndLongKeyOfTheSameNumber_AreTheSameBinding()
    {
        // Integers are bound as 64-bit numbers: widening a key column from int to long does not orphan its values.
        var column = new FieldColumn(string.Empty, "Patients", "Name");
        var codec = FieldValueCodec.For(typeof(string));
        var stored = FieldCipher.Encrypt(VectorDataKey(), codec, "Jane Doe", new FieldBinding(column, 42, (short)7));

        Assert.Equal("Jane Doe", FieldCipher.Decrypt(VectorDataKey(), codec, stored, new FieldBinding(column, 42L, 7L), Entity, Property));
    }

    [Fact]
    public void Encrypt_StringKeyWithALoneSurrogate_IsRefusedWithoutRepeatingTheKey()
    {
        var column = new FieldColumn(string.Empty, "Patients", "Name");

        var ex = Assert.Throws<ArgumentException>(() => FieldCipher.Encrypt(VectorDataKey(), FieldValueCodec.For(typeof(string)), "Jane Doe", new FieldBinding(column, "MRN\uD800", null)));

        Assert.DoesNotContain("MRN", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decrypt_UnderAStringKeyWithALoneSurrogate_FailsAuthenticationWithoutRepeatingTheKey()
    {
        // A row key changed in the database to one that has no UTF-8 encoding: no value was written for it.
        var column = new FieldColumn(string.Empty, "Patients", "Name");
        var codec = FieldValueCodec.For(typeof(string));
        var stored = FieldCipher.Encrypt(VectorDataKey(), codec, "Jane Doe", new FieldBinding(column, "MRN", null));

        var ex = Assert.Throws<FieldDecryptionException>(() => FieldCipher.Decrypt(VectorDataKey(), codec, stored, new FieldBinding(column, "MRN\uD800", null), Entity, Property));

        Assert.Equal(FieldDecryptionFailure.AuthenticationFailed, ex.Failure);
        Assert.DoesNotContain("MRN", ex.Message, StringComparison.Ordinal);
        Assert.Null(ex.InnerException);
    }

    // ---- Version 1 still reads; neither version reads as the other ----

    [Fact]
    public void Decrypt_Version1Value_StillDecryptsWithTheSameBinding()
    {
        var binding = VectorBinding("long-row-string-patient");
        var codec = FieldValueCodec.For(typeof(string));

        var stored = FieldCipher.EncryptAsVersion1ForCompatibilityTests(VectorDataKey(), codec, "Jane Doe", binding);

        Assert.Equal(FieldCiphertext.FormatVersion1, stored[0]);
        Assert.True(FieldCiphertext.IsVersion1(stored));
        Assert.Equal("Jane Doe", FieldCipher.Decrypt(VectorDataKey(), codec, stored, binding, Entity, Property));
    }

    [Fact]
    public void Decrypt_Version2ValueWithItsVersionByteSetTo1_FailsAuthentication()
    {
        // No downgrade: the version byte is in the associated data of both versions, and their associated data differ.
        var binding = VectorBinding("guid-row-guid-patient");
        var codec = FieldValueCodec.For(typeof(string));
        var stored = FieldCipher.Encrypt(VectorDataKey(), codec, "Jane Doe", binding);
        stored[0] = FieldCiphertext.FormatVersion1;

        var ex = Assert.Throws<FieldDecryptionException>(() => FieldCipher.Decrypt(VectorDataKey(), codec, stored, binding, Entity, Property));

        Assert.Equal(FieldDecryptionFailure.AuthenticationFailed, ex.Failure);
    }

    [Fact]
    public void Decrypt_Version1ValueWithItsVersionByteSetTo2_FailsAuthentication()
    {
        var binding = VectorBinding("guid-row-guid-patient");
        var codec = FieldValueCodec.For(typeof(string));
        var stored = FieldCipher.EncryptAsVersion1ForCompatibilityTests(VectorDataKey(), codec, "Jane Doe", binding);
        stored[0] = FieldCiphertext.FormatVersion2;

        var ex = Assert.Throws<FieldDecryptionException>(() => FieldCipher.Decrypt(VectorDataKey(), codec, stored, binding, Entity, Property));

        Assert.Equal(FieldDecryptionFailure.AuthenticationFailed, ex.Failure);
    }

    [Fact]
    public void Decrypt_Version1Value_IsNotBoundToTheSchema()
    {
        // Why version 1 values are re-encrypted (ReencryptAsync): version 1 has no schema in its binding.
        var codec = FieldValueCodec.For(typeof(string));
        var stored = FieldCipher.EncryptAsVersion1ForCompatibilityTests(VectorDataKey(), codec, "Jane Doe", new FieldBinding(new FieldColumn(string.Empty, "Notes", "Text"), 1L, null));
        var archived = new FieldBinding(new FieldColumn("archive", "Notes", "Text"), 1L, null);
        var version2 = FieldCipher.Encrypt(VectorDataKey(), codec, "Jane Doe", new FieldBinding(new FieldColumn(string.Empty, "Notes", "Text"), 1L, null));

        Assert.Equal("Jane Doe", FieldCipher.Decrypt(VectorDataKey(), codec, stored, archived, Entity, Property));
        Assert.Equal(FieldDecryptionFailure.AuthenticationFailed, Assert.Throws<FieldDecryptionException>(() => FieldCipher.Decrypt(VectorDataKey(), codec, version2, archived, Entity, Property)).Failure);
    }

    private static DataKey VectorDataKey() => new(VectorKeyId, KeyScopes.Application, VectorKey);

    private static byte[] ColumnId(string schema, string table, string column) =>
        SHA256.HashData(Concat(Lp("hipaa-column-v2"u8.ToArray()), Lp(Encoding.UTF8.GetBytes(schema)), Lp(Encoding.UTF8.GetBytes(table)), Lp(Encoding.UTF8.GetBytes(column))))[..16];

    private static byte[] Lp(byte[] value)
    {
        var result = new byte[4 + value.Length];
        BinaryPrimitives.WriteInt32BigEndian(result, value.Length);
        value.CopyTo(result, 4);
        return result;
    }

    private static byte[] Int64Be(long value)
    {
        var result = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(result, value);
        return result;
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

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
}
