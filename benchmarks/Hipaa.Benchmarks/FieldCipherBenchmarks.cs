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

    [Params(32, 1024, 65536)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = RandomNumberGenerator.GetBytes(Size);
        _aes = new AesGcm(RandomNumberGenerator.GetBytes(32), TagSize);
        _codec = FieldValueCodec.For(typeof(byte[]));

        // A note attachment of one patient, bound to its table, column, row and patient as EF Core binds it.
        var patientId = Guid.CreateVersion7().ToString("D");
        _binding = new FieldBinding("Notes", "Attachment", Guid.CreateVersion7().ToString("D"), patientId);
        _dataKey = new DataKey(Guid.CreateVersion7(), KeyScopes.Patient(patientId), RandomNumberGenerator.GetBytes(DataKey.KeySizeBytes));
        _scope = KeyScopes.Patient(patientId);
        _keyRing = new KeyRing(new InMemoryDataKeyStore(), new BenchmarkKeyEncryptionKey(), null, new KeyRingSettings(), TimeProvider.System, NullLogger.Instance);
        _protector = new EphemeralDataProtectionProvider().CreateProtector("Hipaa.Benchmarks.FieldCipher");

        // The associated data FieldCipher binds to this value, byte for byte: the baseline that pays for the binding.
        _associatedData = new byte[_binding.AssociatedDataLength];
        var header = new byte[FieldCiphertext.AuthenticatedHeaderSize];
        FieldCiphertext.WriteHeader(header, _dataKey.Id);
        _binding.WriteAssociatedData(_associatedData, header);

        _rawStored = AesGcmEncrypt();
        _rawStoredWithAssociatedData = AesGcmEncryptSameAssociatedData();
        _fieldStored = FieldCipherEncrypt();
        _keyRingStored = FieldCipherKeyRingEncrypt(); // creates and caches the patient's data key (warm from here on)
        _protected = DataProtectionProtect();

        // Every path must round-trip before it is timed.
        Check(AesGcmDecrypt());
        Check(AesGcmDecryptSameAssociatedData());
        Check(FieldCipherDecrypt());
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
