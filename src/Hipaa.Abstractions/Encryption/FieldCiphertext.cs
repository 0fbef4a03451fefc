using System.Buffers.Binary;

namespace Hipaa.Encryption;

/// <summary>
/// The stored form of an encrypted field, format versions 1 and 2 (docs/ciphertext-format.md). Both have this layout;
/// they differ only in the associated data (<see cref="FieldBinding"/>). Writes produce version 2; reads accept both.
/// <code>
/// offset  size  field
///      0     1  format version      0x02 (0x01: version 1, still read)
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
    public const byte FormatVersion2 = 0x02;

    /// <summary>The version every write produces.</summary>
    public const byte CurrentFormatVersion = FormatVersion2;

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

    public static void WriteHeader(Span<byte> destination, Guid keyId, byte version = CurrentFormatVersion)
    {
        destination[0] = version;
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

        if (!IsKnownVersion(stored[0]) || stored[1] != AlgorithmAes256Gcm)
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
        stored.Length >= Overhead && IsKnownVersion(stored[0]) && stored[1] == AlgorithmAes256Gcm;

    /// <summary>True when <paramref name="stored"/> is a format version 1 value (to be re-encrypted to the current version).</summary>
    public static bool IsVersion1(ReadOnlySpan<byte> stored) => stored.Length > 0 && stored[0] == FormatVersion1;

    private static bool IsKnownVersion(byte version) => version is FormatVersion1 or FormatVersion2;

    internal static void WriteLengthPrefixed(Span<byte> destination, ref int offset, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteInt32BigEndian(destination[offset..], value.Length);
        offset += 4;
        value.CopyTo(destination[offset..]);
        offset += value.Length;
    }
}
