using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using FsCheck.Xunit;
using Hipaa.Encryption;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Hipaa.Tests.Encryption;

public sealed class BlindIndexTests
{
    private static readonly DataKey IndexKey = new(Guid.NewGuid(), KeyScopes.Index("Patients", "Mrn"), RandomNumberGenerator.GetBytes(32));
    private static readonly FieldValueCodec Text = FieldValueCodec.For(typeof(string));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void Compute_SameValueSameColumn_GivesTheSameIndex(string value) =>
        Assert.Equal(
            BlindIndex.Compute(IndexKey, Text, value, "Patients", "Mrn"),
            BlindIndex.Compute(IndexKey, Text, value, "Patients", "Mrn"));

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void Compute_DifferentValues_GiveDifferentIndexes(string value, string other)
    {
        var different = string.Equals(value, other, StringComparison.Ordinal) ? other + "1" : other;

        Assert.NotEqual(
            BlindIndex.Compute(IndexKey, Text, value, "Patients", "Mrn"),
            BlindIndex.Compute(IndexKey, Text, different, "Patients", "Mrn"));
    }

    [Theory]
    [InlineData("Patients", "Ssn")]
    [InlineData("Encounters", "Mrn")]
    [InlineData("PatientsM", "rn")] // the same bytes split differently: length prefixes keep them apart
    [InlineData("patients", "Mrn")]
    public void Compute_SameValueOtherColumn_GivesADifferentIndex(string table, string column) =>
        Assert.NotEqual(
            BlindIndex.Compute(IndexKey, Text, "MRN-0042", "Patients", "Mrn"),
            BlindIndex.Compute(IndexKey, Text, "MRN-0042", table, column));

    [Fact]
    public void Compute_OtherIndexKey_GivesADifferentIndex()
    {
        var otherKey = new DataKey(Guid.NewGuid(), IndexKey.Scope, RandomNumberGenerator.GetBytes(32));

        Assert.NotEqual(
            BlindIndex.Compute(IndexKey, Text, "MRN-0042", "Patients", "Mrn"),
            BlindIndex.Compute(otherKey, Text, "MRN-0042", "Patients", "Mrn"));
    }

    [Property(Arbitrary = [typeof(FieldValueArbitraries)])]
    public void Compute_AnyValue_Is16Bytes(string value, long number, Guid id)
    {
        Assert.Equal(BlindIndex.Size, BlindIndex.Compute(IndexKey, Text, value, "Patients", "Mrn").Length);
        Assert.Equal(16, BlindIndex.Compute(IndexKey, FieldValueCodec.For(typeof(long)), number, "Patients", "Mrn").Length);
        Assert.Equal(16, BlindIndex.Compute(IndexKey, FieldValueCodec.For(typeof(Guid)), id, "Patients", "Mrn").Length);
    }

    [Fact]
    public void Compute_LongValue_IsDeterministicAndChangesWithOneMoreCharacter()
    {
        var value = new string('7', 5_000);

        Assert.Equal(BlindIndex.Compute(IndexKey, Text, value, "Patients", "Mrn"), BlindIndex.Compute(IndexKey, Text, value, "Patients", "Mrn"));
        Assert.NotEqual(BlindIndex.Compute(IndexKey, Text, value, "Patients", "Mrn"), BlindIndex.Compute(IndexKey, Text, value + "7", "Patients", "Mrn"));
    }

    [Fact]
    public void Compute_Input_IsTheDocumentedHmacSha256TruncatedTo16Bytes()
    {
        // HMAC-SHA256(index key, lp(table) || lp(column) || encoded value)[0..16], lp = 4-byte big-endian length + UTF-8.
        var input = Concat(Lp("Patients"), Lp("Mrn"), Encoding.UTF8.GetBytes("MRN-0042"));
        var expected = HMACSHA256.HashData(IndexKey.Material, input)[..16];

        Assert.Equal(expected, BlindIndex.Compute(IndexKey, Text, "MRN-0042", "Patients", "Mrn"));

        var numeric = Concat(Lp("Patients"), Lp("BirthYear"), [0xbc, 0x07, 0x00, 0x00]); // 1980, int32 little-endian
        Assert.Equal(HMACSHA256.HashData(IndexKey.Material, numeric)[..16], BlindIndex.Compute(IndexKey, FieldValueCodec.For(typeof(int)), 1980, "Patients", "BirthYear"));
    }

    [Fact]
    public void Compute_WithTheRingsIndexKey_IsStableAcrossRingsAndNeverUsesTheDataKey()
    {
        var store = new InMemoryDataKeyStore();
        var kek = new CountingKeyEncryptionKey("kek-index");
        var first = new KeyRing(store, kek, null, new KeyRingSettings(), new FakeTimeProvider(), NullLogger.Instance);
        var index = BlindIndex.Compute(first.GetIndexKey("Patients", "Mrn"), Text, "MRN-0042", "Patients", "Mrn");
        var second = new KeyRing(store, kek, null, new KeyRingSettings(), new FakeTimeProvider(), NullLogger.Instance);

        var again = BlindIndex.Compute(second.GetIndexKey("Patients", "Mrn"), Text, "MRN-0042", "Patients", "Mrn");

        Assert.Equal(index, again);
        Assert.NotEqual(first.GetIndexKey("Patients", "Mrn").Id, first.GetIndexKey("Patients", "Ssn").Id);
        Assert.NotEqual(first.GetIndexKey("Patients", "Mrn").Id, first.GetEncryptionKey(KeyScopes.Column("Patients", "Mrn")).Id);
        var indexRecord = Assert.Single(store.Snapshot(), r => r.Kind == DataKeyKind.Index && r.Scope == KeyScopes.Index("Patients", "Mrn"));
        Assert.Equal(first.GetIndexKey("Patients", "Mrn").Id, indexRecord.Id);
    }

    private static byte[] Lp(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var result = new byte[4 + bytes.Length];
        BinaryPrimitives.WriteInt32BigEndian(result, bytes.Length);
        bytes.CopyTo(result, 4);
        return result;
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
