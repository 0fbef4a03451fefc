using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Hipaa.Encryption;

/// <summary>
/// Encrypts one field value in format version 2 and decrypts values of versions 1 and 2 (<see cref="FieldCiphertext"/>,
/// <see cref="FieldBinding"/>). The associated data is built on the stack: no allocation per value besides the result.
/// </summary>
internal static class FieldCipher
{
    private const int StackLimit = 512;

    public static byte[] Encrypt(DataKey key, FieldValueCodec codec, object value, in FieldBinding binding) =>
        Encrypt(key, codec, value, binding, fixedNonce: default, FieldCiphertext.CurrentFormatVersion);

    /// <summary>Encrypts with a caller-chosen nonce. Only for published test vectors: a nonce must never repeat under a key.</summary>
    internal static byte[] EncryptWithNonceForTestVectors(DataKey key, FieldValueCodec codec, object value, in FieldBinding binding, ReadOnlySpan<byte> nonce, byte version = FieldCiphertext.CurrentFormatVersion) =>
        nonce.Length != FieldCiphertext.NonceSize ? throw new ArgumentException($"A nonce is {FieldCiphertext.NonceSize} bytes.", nameof(nonce))
        : version is not (FieldCiphertext.FormatVersion1 or FieldCiphertext.FormatVersion2) ? throw new ArgumentOutOfRangeException(nameof(version), version, "Versions 1 and 2 exist.")
        : Encrypt(key, codec, value, binding, nonce, version);

    /// <summary>
    /// Writes a format version 1 value, as versions before format 2 did. Only for tests of reading and re-encrypting
    /// values written by those versions: the SDK itself writes version 2 only.
    /// </summary>
    internal static byte[] EncryptAsVersion1ForCompatibilityTests(DataKey key, FieldValueCodec codec, object value, in FieldBinding binding) =>
        Encrypt(key, codec, value, binding, fixedNonce: default, FieldCiphertext.FormatVersion1);

    [SkipLocalsInit]
    private static byte[] Encrypt(DataKey key, FieldValueCodec codec, object value, in FieldBinding binding, ReadOnlySpan<byte> fixedNonce, byte version)
    {
        var plaintextLength = codec.GetByteCount(value);
        var output = new byte[FieldCiphertext.GetLength(plaintextLength)];
        var span = output.AsSpan();
        FieldCiphertext.WriteHeader(span, key.Id, version);
        var nonce = span.Slice(FieldCiphertext.NonceOffset, FieldCiphertext.NonceSize);
        if (fixedNonce.IsEmpty)
        {
            NonceSource.Fill(nonce);
        }
        else
        {
            fixedNonce.CopyTo(nonce);
        }

        byte[]? rentedPlaintext = null;
        var plaintext = plaintextLength <= StackLimit
            ? stackalloc byte[plaintextLength]
            : (rentedPlaintext = ArrayPool<byte>.Shared.Rent(plaintextLength)).AsSpan(0, plaintextLength);
        byte[]? rentedAd = null;
        var adLength = binding.MaxAssociatedDataLength(version);
        var ad = adLength <= StackLimit ? stackalloc byte[adLength] : (rentedAd = ArrayPool<byte>.Shared.Rent(adLength)).AsSpan(0, adLength);
        try
        {
            codec.Write(value, plaintext);
            var written = binding.WriteAssociatedData(ad, span[..FieldCiphertext.AuthenticatedHeaderSize]);
            key.Encrypt(
                nonce,
                plaintext,
                span.Slice(FieldCiphertext.HeaderSize, plaintextLength),
                span.Slice(FieldCiphertext.HeaderSize + plaintextLength, FieldCiphertext.TagSize),
                ad[..written]);
            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
            if (rentedPlaintext is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedPlaintext);
            }

            if (rentedAd is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedAd);
            }
        }
    }

    /// <summary>Reads the data key id from a stored value, or throws a <see cref="FieldDecryptionException"/> naming the field.</summary>
    public static Guid ReadKeyId(ReadOnlySpan<byte> stored, string entity, string property)
    {
        if (FieldCiphertext.TryReadKeyId(stored, out var keyId, out var failure))
        {
            return keyId;
        }

        throw failure == FieldDecryptionFailure.UnsupportedFormat
            ? new FieldDecryptionException(failure, entity, property, null, $"The stored value of {entity}.{property} is not in a ciphertext format this version of Hipaa.Sdk can read: its first bytes name no format version and algorithm this version knows (they are not repeated here: they may be plaintext). It may be plaintext written before encryption was enabled (see EncryptExistingDataAsync), or written by a newer version.")
            : new FieldDecryptionException(failure, entity, property, null, $"The stored value of {entity}.{property} is truncated or is not a Hipaa.Sdk ciphertext ({stored.Length} bytes; at least {FieldCiphertext.Overhead} expected). It may be plaintext written before encryption was enabled: see EncryptExistingDataAsync.");
    }

    [SkipLocalsInit]
    public static object Decrypt(DataKey key, FieldValueCodec codec, ReadOnlySpan<byte> stored, in FieldBinding binding, string entity, string property)
    {
        // Validate before sizing anything from the input: a short value must be an error, never a negative length.
        if (ReadKeyId(stored, entity, property) != key.Id)
        {
            throw new FieldDecryptionException(
                FieldDecryptionFailure.AuthenticationFailed,
                entity,
                property,
                key.Id.ToString(),
                $"The stored value of {entity}.{property} names another data key than {key.Id}; it was not decrypted.");
        }

        var plaintextLength = stored.Length - FieldCiphertext.Overhead;

        // A byte[] value is its own plaintext: decrypt straight into the array returned (no copy, nothing left to wipe).
        var bytesValue = codec.ClrType == typeof(byte[]) ? new byte[plaintextLength] : null;
        var handedOver = false;
        byte[]? rentedPlaintext = null;
        var plaintext = bytesValue is not null ? bytesValue.AsSpan()
            : plaintextLength <= StackLimit ? stackalloc byte[plaintextLength]
            : (rentedPlaintext = ArrayPool<byte>.Shared.Rent(plaintextLength)).AsSpan(0, plaintextLength);
        byte[]? rentedAd = null;
        var adLength = binding.MaxAssociatedDataLength(stored[0]);
        var ad = adLength <= StackLimit ? stackalloc byte[adLength] : (rentedAd = ArrayPool<byte>.Shared.Rent(adLength)).AsSpan(0, adLength);
        try
        {
            int written;
            try
            {
                written = binding.WriteAssociatedData(ad, stored[..FieldCiphertext.AuthenticatedHeaderSize]);
            }
            catch (ArgumentException unbindable)
            {
                // A key no value can have been written for (encryption refuses it): not this row's value. Not chained: no key is quoted.
                throw new FieldDecryptionException(
                    FieldDecryptionFailure.AuthenticationFailed,
                    entity,
                    property,
                    key.Id.ToString(),
                    $"The stored value of {entity}.{property} (data key {key.Id}) cannot be bound to its row: {unbindable.Message} It was not decrypted.");
            }

            var authentic = key.TryDecrypt(
                stored.Slice(FieldCiphertext.NonceOffset, FieldCiphertext.NonceSize),
                stored.Slice(FieldCiphertext.HeaderSize, plaintextLength),
                stored[^FieldCiphertext.TagSize..],
                plaintext,
                ad[..written]);
            if (!authentic)
            {
                throw new FieldDecryptionException(
                    FieldDecryptionFailure.AuthenticationFailed,
                    entity,
                    property,
                    key.Id.ToString(),
                    $"The stored value of {entity}.{property} (data key {key.Id}) failed authentication: it was modified, or copied from another row, column, table or schema. It was not decrypted.");
            }

            if (bytesValue is not null)
            {
                handedOver = true;
                return bytesValue;
            }

            try
            {
                return codec.Read(plaintext);
            }
            catch (Exception exception) when (exception is FormatException or ArgumentException or System.Text.DecoderFallbackException)
            {
                // Not chained: a decoder's message can quote the decrypted bytes.
                throw new FieldDecryptionException(FieldDecryptionFailure.Malformed, entity, property, key.Id.ToString(), $"The decrypted value of {entity}.{property} (data key {key.Id}) is not a valid {codec.ClrType.Name} ({exception.GetType().Name}); the property's type may have changed since it was written.");
            }
        }
        finally
        {
            // A byte[] value belongs to the caller once returned; until then (a failure) it is wiped like any plaintext.
            if (!handedOver)
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }

            if (rentedPlaintext is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedPlaintext);
            }

            if (rentedAd is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedAd);
            }
        }
    }
}
