using System.Security.Cryptography;

namespace Hipaa.Encryption;

/// <summary>
/// 96-bit random nonces from <see cref="RandomNumberGenerator"/>, drawn in batches per thread: the same CSPRNG output,
/// without paying the cost of one RNG call per encrypted value.
/// </summary>
internal static class NonceSource
{
    private const int BatchNonces = 128;

    [ThreadStatic]
    private static byte[]? _buffer;

    [ThreadStatic]
    private static int _offset;

    public static void Fill(Span<byte> nonce)
    {
        var buffer = _buffer ??= new byte[BatchNonces * FieldCiphertext.NonceSize];
        if (_offset == 0 || _offset + nonce.Length > buffer.Length)
        {
            RandomNumberGenerator.Fill(buffer);
            _offset = 0;
        }

        var source = buffer.AsSpan(_offset, nonce.Length);
        source.CopyTo(nonce);
        CryptographicOperations.ZeroMemory(source);
        _offset += nonce.Length;
        if (_offset == buffer.Length)
        {
            _offset = 0;
        }
    }
}
