using System.Buffers.Binary;

namespace Hipaa.Encryption;

/// <summary>
/// The stored form of an encrypted field, format version 1 (docs/ciphertext-format.md):
/// <code>
/// offset  size  field
///      0     1  format version      0x01
///      1     1  algorithm           0x01 = AES-256-GCM, 96-bit random nonce, 128-bit tag
///      2    16  data key id         the DEK's Guid, RFC 4122 (big-endian) byte order
///     18    12  nonce
///     30     n  ciphertext          n = length of the encoded plaintext
///   30+n    16  tag
/// </code>
/// Bytes 0..18 (version, algorithm, key id) are also authenticated as part of the associated data.
/// </summary>
internal static class FieldCiphertext
{
    public const byte FormatVersion1 = 0x01;
    public const byte AlgorithmAes256Gcm = 0x01;
    public const int KeyIdOffset = 2;
    public const int KeyIdSize = 16;
    public const int NonceOffset = 18;
    public const int NonceSize = 12;
    public const int HeaderSize = 30;
    public const int TagSize = 16;
    public const int Overhead = HeaderSize + TagSize;

    /// <summary>The bytes of the header that are authenticated as associated data: version, algorithm and key id.</summary>
    public const int AuthenticatedHeaderSize = NonceOffset;

    public static int GetLength(int plaintextLength) => Overhead + plaintextLength;

    public static void WriteHeader(Span<byte> destination, Guid keyId)
    {
        destination[0] = FormatVersion1;
        destination[1] = AlgorithmAes256Gcm;
        keyId.TryWriteBytes(destination.Slice(KeyIdOffset, KeyIdSize), bigEndian: true, out _);
    }

    /// <summary>Reads the key id of a stored value, or reports why the value is not one this version can read.</summary>
    public static bool TryReadKeyId(ReadOnlySpan<byte> stored, out Guid keyId, out FieldDecryptionFailure failure)
    {
        keyId = Guid.Empty;
        if (stored.Length < Overhead)
        {
            failure = FieldDecryptionFailure.Malformed;
            return false;
        }

        if (stored[0] != FormatVersion1 || stored[1] != AlgorithmAes256Gcm)
        {
            failure = FieldDecryptionFailure.UnsupportedFormat;
            return false;
        }

        keyId = new Guid(stored.Slice(KeyIdOffset, KeyIdSize), bigEndian: true);
        failure = default;
        return true;
    }

    /// <summary>True when <paramref name="stored"/> starts like a value this SDK wrote (used to tell legacy plaintext apart).</summary>
    public static bool LooksEncrypted(ReadOnlySpan<byte> stored) =>
        stored.Length >= Overhead && stored[0] == FormatVersion1 && stored[1] == AlgorithmAes256Gcm;

    internal static void WriteLengthPrefixed(Span<byte> destination, ref int offset, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteInt32BigEndian(destination[offset..], value.Length);
        offset += 4;
        value.CopyTo(destination[offset..]);
        offset += value.Length;
    }
}
