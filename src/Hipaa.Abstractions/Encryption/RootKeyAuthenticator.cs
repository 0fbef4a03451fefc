using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Hipaa.Encryption;

/// <summary>
/// Proofs that an intermediate ("root") key was made by this deployment, for KEKs whose wrapping is public (RSA): a row
/// anyone can wrap proves nothing by unwrapping, so trust comes from a key only an unwrap can yield.
/// </summary>
/// <remarks>
/// <para>
/// <b>Link.</b> Version n &gt; 1 carries HMAC-SHA256 keyed by a key derived from version n − 1's material (obtainable only by
/// unwrapping version n − 1 with the KEK's private side) over its id, kind, version, scope, its predecessor's id and its
/// own material. Whoever forges version n needs version n − 1's material; a forged row is refused.
/// </para>
/// <para>
/// <b>Genesis.</b> Version 1 has no predecessor. It is trusted on first use, or — when the deployment pins it — only if it
/// matches the pin: its id and a fingerprint of its material (HMAC-SHA256 under a key derived from it, over its id,
/// truncated to 128 bits; the material cannot be recovered from it).
/// </para>
/// </remarks>
internal static class RootKeyAuthenticator
{
    public const int Size = 32;

    private const int FingerprintSize = 16;
    private static readonly byte[] LinkLabel = "hipaa-root-link-v1"u8.ToArray();
    private static readonly byte[] PinLabel = "hipaa-root-pin-v1"u8.ToArray();

    /// <summary>The link that authenticates <paramref name="record"/> (version n, holding <paramref name="material"/>) by its predecessor.</summary>
    public static byte[] Link(ReadOnlySpan<byte> predecessor, Guid predecessorId, DataKeyRecord record, ReadOnlySpan<byte> material)
    {
        Span<byte> key = stackalloc byte[32];
        HKDF.Expand(HashAlgorithmName.SHA256, predecessor, key, LinkLabel);
        var scope = Encoding.UTF8.GetBytes(record.Scope);
        var data = new byte[4 + LinkLabel.Length + 16 + 16 + 1 + 4 + 4 + scope.Length + material.Length];
        var offset = 0;
        FieldCiphertext.WriteLengthPrefixed(data, ref offset, LinkLabel);
        predecessorId.TryWriteBytes(data.AsSpan(offset, 16), bigEndian: true, out _);
        offset += 16;
        record.Id.TryWriteBytes(data.AsSpan(offset, 16), bigEndian: true, out _);
        offset += 16;
        data[offset++] = (byte)record.Kind;
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(offset), record.Version);
        offset += 4;
        FieldCiphertext.WriteLengthPrefixed(data, ref offset, scope);
        material.CopyTo(data.AsSpan(offset));
        try
        {
            return HMACSHA256.HashData(key, data);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(data);
        }
    }

    public static bool IsLinkValid(ReadOnlySpan<byte> predecessor, Guid predecessorId, DataKeyRecord record, ReadOnlySpan<byte> material) =>
        record.Authenticator is { Length: Size } stored && CryptographicOperations.FixedTimeEquals(Link(predecessor, predecessorId, record, material), stored);

    /// <summary>The pin of a genesis root key: <c>{id}:{32 hex digits}</c>, safe to keep in configuration (it reveals nothing of the key).</summary>
    public static string Pin(Guid id, ReadOnlySpan<byte> material) =>
        id.ToString("D") + ":" + Convert.ToHexStringLower(Fingerprint(id, material));

    /// <summary>Whether <paramref name="pin"/> has the form <see cref="Pin"/> returns; gives the pinned id.</summary>
    public static bool TryParsePin(string pin, out Guid id)
    {
        id = Guid.Empty;
        var colon = pin.IndexOf(':', StringComparison.Ordinal);
        return colon > 0
            && Guid.TryParseExact(pin.AsSpan(0, colon), "D", out id)
            && pin.Length - colon - 1 == FingerprintSize * 2
            && !pin.AsSpan(colon + 1).ContainsAnyExcept("0123456789abcdefABCDEF");
    }

    public static bool MatchesPin(string pin, Guid id, ReadOnlySpan<byte> material)
    {
        if (!TryParsePin(pin, out var pinned) || pinned != id)
        {
            return false;
        }

        var expected = Convert.FromHexString(pin.AsSpan(pin.IndexOf(':', StringComparison.Ordinal) + 1));
        return CryptographicOperations.FixedTimeEquals(Fingerprint(id, material), expected);
    }

    private static byte[] Fingerprint(Guid id, ReadOnlySpan<byte> material)
    {
        Span<byte> key = stackalloc byte[32];
        HKDF.Expand(HashAlgorithmName.SHA256, material, key, PinLabel);
        Span<byte> data = stackalloc byte[16];
        id.TryWriteBytes(data, bigEndian: true, out _);
        try
        {
            return HMACSHA256.HashData(key, data)[..FingerprintSize];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>How messages name an intermediate key.</summary>
    public static string Describe(DataKeyRecord record) => string.Create(CultureInfo.InvariantCulture, $"Intermediate key {record.Id} (version {record.Version})");
}
