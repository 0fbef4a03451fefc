using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Hipaa.Encryption;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipaa.Benchmarks;

/// <summary>
/// Encrypting and decrypting one field value (a byte[] of <see cref="Size"/> bytes). Baseline: one reused
/// <see cref="AesGcm"/> with a fresh <see cref="RandomNumberGenerator"/> nonce per encryption, writing a new array
/// (nonce || ciphertext || tag) as a stored value must be, and decrypting into a new array. Compared with
/// <see cref="FieldCipher"/> through a cached <see cref="DataKey"/> (header, row-bound associated data, pooled AesGcm),
/// the same plus the key ring's cache lookup that every value pays in EF Core, and ASP.NET Core Data Protection.
/// Decryption also of a format version 1 value (still read), and of the alternative to associated data that format 2 did
/// not take: the binding encrypted in front of the value and compared after decryption (docs/ciphertext-format.md).
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class FieldCipherBenchmarks
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private AesGcm _aes = null!;
    private DataKey _dataKey = null!;
    private KeyRing _keyRing = null!;
    private FieldValueCodec _codec = null!;
    private FieldBinding _binding;
    private string _scope = string.Empty;
    private IDataProtector _protector = null!;

    private byte[] _payload = [];
    private byte[] _rawStored = [];
    private byte[] _fieldStored = [];
    private byte[] _keyRingStored = [];
    private byte[] _protected = [];
    private byte[] _associatedData = [];
    private byte[] _rawStoredWithAssociatedData = [];
    private byte[] _fieldStoredVersion1 = [];
    private byte[] _bindingPrefix = [];
    private byte[] _rawStoredWithBindingInPlaintext = [];

    [Params(32, 1024, 65536)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = RandomNumberGenerator.GetBytes(Size);
        _aes = new AesGcm(RandomNumberGenerator.GetBytes(32), TagSize);
        _codec = FieldValueCodec.For(typeof(byte[]));

        // A note attachment of one patient, bound to its table, column, row and patient as EF Core binds it.
        var patient = Guid.CreateVersion7();
        var patientId = patient.ToString("D");
        _binding = new FieldBinding(new FieldColumn(string.Empty, "Notes", "Attachment"), Guid.CreateVersion7(), patient);
        _dataKey = new DataKey(Guid.CreateVersion7(), KeyScopes.Patient(patientId), RandomNumberGenerator.GetBytes(DataKey.KeySizeBytes));
        _scope = KeyScopes.Patient(patientId);
        _keyRing = new KeyRing(new InMemoryDataKeyStore(), new BenchmarkKeyEncryptionKey(), null, new KeyRingSettings(), TimeProvider.System, NullLogger.Instance);
        _protector = new EphemeralDataProtectionProvider().CreateProtector("Hipaa.Benchmarks.FieldCipher");

        // The associated data FieldCipher binds to this value (format 2), byte for byte: the baseline that pays for the binding.
        var header = new byte[FieldCiphertext.AuthenticatedHeaderSize];
        FieldCiphertext.WriteHeader(header, _dataKey.Id);
        var associatedData = new byte[_binding.MaxAssociatedDataLength(FieldCiphertext.FormatVersion2)];
        _associatedData = associatedData.AsSpan(0, _binding.WriteAssociatedData(associatedData, header)).ToArray();

        // The alternative: the binding after the header (column id, row, patient) encrypted in front of the value, no associated data.
        _bindingPrefix = _associatedData.AsSpan(FieldCiphertext.AuthenticatedHeaderSize).ToArray();

        _rawStored = AesGcmEncrypt();
        _rawStoredWithAssociatedData = AesGcmEncryptSameAssociatedData();
        _rawStoredWithBindingInPlaintext = AesGcmEncryptBindingInPlaintext();
        _fieldStored = FieldCipherEncrypt();
        _fieldStoredVersion1 = FieldCipher.EncryptAsVersion1ForCompatibilityTests(_dataKey, _codec, _payload, _binding);
        _keyRingStored = FieldCipherKeyRingEncrypt(); // creates and caches the patient's data key (warm from here on)
        _protected = DataProtectionProtect();

        // Every path must round-trip before it is timed.
        Check(AesGcmDecrypt());
        Check(AesGcmDecryptSameAssociatedData());
        Check(AesGcmDecryptBindingInPlaintext());
        Check(FieldCipherDecrypt());
        Check(FieldCipherDecryptVersion1());
        Check(FieldCipherKeyRingDecrypt());
        Check(DataProtectionUnprotect());
    }

    [GlobalCleanup]
    public void Cleanup() => _aes.Dispose();

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Encrypt")]
    public byte[] AesGcmEncrypt()
    {
        var output = new byte[NonceSize + _payload.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        _aes.Encrypt(nonce, _payload, output.AsSpan(NonceSize, _payload.Length), output.AsSpan(NonceSize + _payload.Length), default);
        return output;
    }

    /// <summary>The baseline plus the associated data that binds a value to its table, column, row and patient.</summary>
    [Benchmark]
    [BenchmarkCategory("Encrypt")]
    public byte[] AesGcmEncryptSameAssociatedData()
    {
        var output = new byte[NonceSize + _payload.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        _aes.Encrypt(nonce, _payload, output.AsSpan(NonceSize, _payload.Length), output.AsSpan(NonceSize + _payload.Length), _associatedData);
        return output;
    }

    private byte[] AesGcmEncryptBindingInPlaintext()
    {
        var plaintext = _bindingPrefix.Concat(_payload).ToArray();
        var output = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        _aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize, plaintext.Length), output.AsSpan(NonceSize + plaintext.Length), default);
        return output;
    }

    [Benchmark]
    [BenchmarkCategory("Encrypt")]
    public byte[] FieldCipherEncrypt() => FieldCipher.Encrypt(_dataKey, _codec, _payload, _binding);

    [Benchmark]
    [BenchmarkCategory("Encrypt")]
    public byte[] FieldCipherKeyRingEncrypt() => FieldCipher.Encrypt(_keyRing.GetEncryptionKey(_scope), _codec, _payload, _binding);

    [Benchmark]
    [BenchmarkCategory("Encrypt")]
    public byte[] DataProtectionProtect() => _protector.Protect(_payload);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Decrypt")]
    public byte[] AesGcmDecrypt()
    {
        var stored = _rawStored.AsSpan();
        var plaintext = new byte[stored.Length - NonceSize - TagSize];
        _aes.Decrypt(stored[..NonceSize], stored[NonceSize..^TagSize], stored[^TagSize..], plaintext, default);
        return plaintext;
    }

    /// <summary>The baseline plus the associated data that binds a value to its table, column, row and patient.</summary>
    [Benchmark]
    [BenchmarkCategory("Decrypt")]
    public byte[] AesGcmDecryptSameAssociatedData()
    {
        var stored = _rawStoredWithAssociatedData.AsSpan();
        var plaintext = new byte[stored.Length - NonceSize - TagSize];
        _aes.Decrypt(stored[..NonceSize], stored[NonceSize..^TagSize], stored[^TagSize..], plaintext, _associatedData);
        return plaintext;
    }

    /// <summary>
    /// The alternative format 2 did not take: the binding (column id, row and patient, 51 bytes here) encrypted in front of
    /// the value with no associated data, compared after decryption; the value copied out. Its cost is 51 more bytes
    /// stored per value.
    /// </summary>
    [Benchmark]
    [BenchmarkCategory("Decrypt")]
    public byte[] AesGcmDecryptBindingInPlaintext()
    {
        var stored = _rawStoredWithBindingInPlaintext.AsSpan();
        var length = stored.Length - NonceSize - TagSize;
        Span<byte> plaintext = length <= 512 ? stackalloc byte[length] : new byte[length];
        _aes.Decrypt(stored[..NonceSize], stored[NonceSize..^TagSize], stored[^TagSize..], plaintext, default);
        if (!CryptographicOperations.FixedTimeEquals(plaintext[.._bindingPrefix.Length], _bindingPrefix))
        {
            throw new CryptographicException("The binding does not match.");
        }

        var value = plaintext[_bindingPrefix.Length..].ToArray();
        CryptographicOperations.ZeroMemory(plaintext);
        return value;
    }

    /// <summary>Reading a value written in format version 1 (136 bytes of associated data, text row and patient ids).</summary>
    [Benchmark]
    [BenchmarkCategory("Decrypt")]
    public byte[] FieldCipherDecryptVersion1() => (byte[])FieldCipher.Decrypt(_dataKey, _codec, _fieldStoredVersion1, _binding, "Note", "Attachment");

    [Benchmark]
    [BenchmarkCategory("Decrypt")]
    public byte[] FieldCipherDecrypt() => (byte[])FieldCipher.Decrypt(_dataKey, _codec, _fieldStored, _binding, "Note", "Attachment");

    [Benchmark]
    [BenchmarkCategory("Decrypt")]
    public byte[] FieldCipherKeyRingDecrypt()
    {
        var key = _keyRing.GetDecryptionKey(FieldCipher.ReadKeyId(_keyRingStored, "Note", "Attachment"));
        return (byte[])FieldCipher.Decrypt(key, _codec, _keyRingStored, _binding, "Note", "Attachment");
    }

    [Benchmark]
    [BenchmarkCategory("Decrypt")]
    public byte[] DataProtectionUnprotect() => _protector.Unprotect(_protected);

    private void Check(byte[] decrypted)
    {
        if (!decrypted.AsSpan().SequenceEqual(_payload))
        {
            throw new InvalidOperationException("A benchmarked decryption did not return the encrypted payload.");
        }
    }
}
