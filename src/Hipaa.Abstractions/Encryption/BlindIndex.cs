using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Hipaa.Encryption;

/// <summary>
/// The keyed blind index of a searchable encrypted property: HMAC-SHA256 under the column's index key over
/// lp(table) || lp(column) || encoded value, truncated to 16 bytes. Equal values give equal indexes within a column;
/// nothing else about the value can be learned without the key (docs/encryption.md, "What search leaks").
/// </summary>
internal static class BlindIndex
{
    public const int Size = 16;

    /// <summary>Throws <see cref="DataKeyEvictedException"/> (having hashed nothing) when <paramref name="indexKey"/> was evicted.</summary>
    public static byte[] Compute(DataKey indexKey, FieldValueCodec codec, object value, string table, string column)
    {
        var valueLength = codec.GetByteCount(value);
        var length = 8 + Encoding.UTF8.GetByteCount(table) + Encoding.UTF8.GetByteCount(column) + valueLength;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var input = rented.AsSpan(0, length);
            var offset = 0;
            FieldCiphertext.WriteLengthPrefixed(input, ref offset, Encoding.UTF8.GetBytes(table));
            FieldCiphertext.WriteLengthPrefixed(input, ref offset, Encoding.UTF8.GetBytes(column));
            codec.Write(value, input[offset..]);
            Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
            using (var lease = indexKey.LeaseMaterial())
            {
                HMACSHA256.HashData(lease.Material, input, mac);
            }
            return mac[..Size].ToArray();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(rented.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
