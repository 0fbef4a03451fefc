using System.Security.Cryptography;
using Hipaa.Encryption;

namespace Hipaa.Tests.Encryption;

/// <summary>
/// A data key is zeroed when evicted or disposed, and a zeroed key is never used (issue 9, finding 7: "unwrapped keys stay
/// in memory past their lifetime and are never zeroed").
/// </summary>
public sealed class DataKeyTests
{
    private static readonly FieldBinding Binding = new(new FieldColumn(string.Empty, "Patients", "Name"), "17", "patient:17");
    private static readonly FieldValueCodec Text = FieldValueCodec.For(typeof(string));

    [Fact]
    public void Dispose_IdleKey_ZeroesItsBytesAndRefusesEveryLaterUse()
    {
        var material = RandomNumberGenerator.GetBytes(DataKey.KeySizeBytes);
        var key = new DataKey(Guid.CreateVersion7(), "patient:17", material);
        FieldCipher.Encrypt(key, Text, "warm", Binding); // leaves an idle AesGcm holding the key

        key.Dispose();

        Assert.True(key.IsEvicted);
        Assert.True(IsAllZero(key.StorageForZeroingTests));
        Assert.Throws<DataKeyEvictedException>(() => FieldCipher.Encrypt(key, Text, "after", Binding));
        Assert.Throws<DataKeyEvictedException>(() => key.LeaseMaterial().Dispose());
        var stored = FieldCipher.Encrypt(new DataKey(key.Id, key.Scope, material), Text, "x", Binding);
        Assert.Throws<DataKeyEvictedException>(() => FieldCipher.Decrypt(key, Text, stored, Binding, "Patient", "Name"));
    }

    [Fact]
    public void Dispose_DuringAnEncryption_ZeroesOnlyAfterItEndsAndItsCiphertextIsUnderTheRealKey()
    {
        var material = RandomNumberGenerator.GetBytes(DataKey.KeySizeBytes);
        var key = new DataKey(Guid.CreateVersion7(), "patient:17", material);
        var zeroedDuringUse = true;
        key.WhileLeasedHookForTests = k =>
        {
            k.WhileLeasedHookForTests = null;
            k.Dispose(); // evicted by another thread while this encryption holds the key
            zeroedDuringUse = IsAllZero(k.StorageForZeroingTests);
        };

        var stored = FieldCipher.Encrypt(key, Text, "the real key", Binding);

        Assert.False(zeroedDuringUse);
        Assert.True(IsAllZero(key.StorageForZeroingTests)); // by the end of the use that held it
        Assert.Equal("the real key", FieldCipher.Decrypt(new DataKey(key.Id, key.Scope, material), Text, stored, Binding, "Patient", "Name"));
    }

    [Fact]
    public void Dispose_WhileMaterialIsLeased_WaitsForTheLease()
    {
        var material = RandomNumberGenerator.GetBytes(DataKey.KeySizeBytes);
        var key = new DataKey(Guid.CreateVersion7(), "index:Patients.Mrn", material);
        var lease = key.LeaseMaterial();

        key.Dispose();
        Assert.Equal(material, lease.Material.ToArray());
        lease.Dispose();

        Assert.True(IsAllZero(key.StorageForZeroingTests));
    }

    [Fact]
    public void Dispose_Twice_IsHarmless()
    {
        var key = new DataKey(Guid.CreateVersion7(), "app", RandomNumberGenerator.GetBytes(DataKey.KeySizeBytes));

        key.Dispose();
        key.Dispose();

        Assert.True(IsAllZero(key.StorageForZeroingTests));
        Assert.Throws<DataKeyEvictedException>(() => FieldCipher.Encrypt(key, Text, "x", Binding));
    }

    internal static bool IsAllZero(ReadOnlySpan<byte> bytes) => bytes.IndexOfAnyExcept((byte)0) < 0;
}
