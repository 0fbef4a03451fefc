using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Hipaa.Encryption;

namespace Hipaa.EfCore.Policy;

/// <summary>
/// Encrypts consent rows under the key ring, patient-scoped: the payload with AES-256-GCM under the patient's data key
/// (the scope <c>patient:{id}</c> that field encryption uses, so shredding the patient shreds their consents), bound to the
/// table, the patient id and the row's consent hash; lookups through keyed hashes (HMAC-SHA256 under the key ring's index
/// key <c>index:hipaa_consents.patient_key</c>) instead of clear ids.
/// </summary>
/// <remarks>
/// Payload layout: format (1 byte, 1) || data key id (16, big-endian) || nonce (12) || ciphertext || tag (16). Associated
/// data: lp("hipaa-consent-v1") || lp(table) || lp(patient id, UTF-8) || lp(consent hash), lp = 4-byte big-endian length
/// prefix. Independent of the field ciphertext format (docs/ciphertext-format.md): consents are not columns of an entity.
/// </remarks>
internal sealed class ConsentCipher(KeyRing keyRing)
{
    public const byte FormatVersion = 1;

    /// <summary>The table and column whose index key hashes the ids (one key for both consent tables).</summary>
    public const string IndexColumn = "patient_key";

    private const int KeyIdSize = 16;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int HeaderSize = 1 + KeyIdSize + NonceSize;
    private static readonly byte[] Label = "hipaa-consent-v1"u8.ToArray();
    private static readonly byte[] PatientLabel = "hipaa-consent-patient-v1"u8.ToArray();
    private static readonly byte[] ConsentLabel = "hipaa-consent-id-v1"u8.ToArray();

    /// <summary>The keyed hash of a patient id, exactly as given (lookups are exact, as ids always were).</summary>
    public async ValueTask<byte[]> PatientKeyAsync(string patientId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var key = await keyRing.GetIndexKeyAsync(ConsentStoreDbContext.ConsentsTable, IndexColumn, cancellationToken).ConfigureAwait(false);
            try
            {
                return Hash(key, PatientLabel, patientId, null);
            }
            catch (DataKeyEvictedException) when (attempt < DataKey.MaxUseAttempts)
            {
                // Evicted between lookup and use: nothing was hashed; look it up again.
            }
        }
    }

    /// <summary>The keyed hash of a patient id and a consent id: one consent of one patient.</summary>
    public async ValueTask<byte[]> ConsentKeyAsync(string patientId, string consentId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var key = await keyRing.GetIndexKeyAsync(ConsentStoreDbContext.ConsentsTable, IndexColumn, cancellationToken).ConfigureAwait(false);
            try
            {
                return Hash(key, ConsentLabel, patientId, consentId);
            }
            catch (DataKeyEvictedException) when (attempt < DataKey.MaxUseAttempts)
            {
                // Evicted between lookup and use: nothing was hashed; look it up again.
            }
        }
    }

    /// <summary>
    /// Encrypts a payload for a row of <paramref name="table"/>. Throws <see cref="ShreddedScopeException"/> when the
    /// patient was shredded and <see cref="KeyServiceUnavailableException"/> when the key service fails: nothing is written.
    /// </summary>
    public async ValueTask<byte[]> EncryptAsync(string table, ConsentPayload payload, byte[] consentKey, CancellationToken cancellationToken)
    {
        var plaintext = payload.Serialize();
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var key = await keyRing.GetEncryptionKeyAsync(KeyScopes.Patient(payload.PatientId), cancellationToken).ConfigureAwait(false);
                var stored = new byte[HeaderSize + plaintext.Length + TagSize];
                stored[0] = FormatVersion;
                key.Id.TryWriteBytes(stored.AsSpan(1, KeyIdSize), bigEndian: true, out _);
                var nonce = stored.AsSpan(1 + KeyIdSize, NonceSize);
                NonceSource.Fill(nonce);
                try
                {
                    key.Encrypt(nonce, plaintext, stored.AsSpan(HeaderSize, plaintext.Length), stored.AsSpan(HeaderSize + plaintext.Length), AssociatedData(table, payload.PatientId, consentKey));
                    return stored;
                }
                catch (DataKeyEvictedException) when (attempt < DataKey.MaxUseAttempts)
                {
                    // Evicted between lookup and use: nothing was encrypted; look it up again.
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>
    /// Decrypts and authenticates a row read for <paramref name="patientId"/>: the payload must have been written for this
    /// table, this patient and this consent hash, under this patient's key, and name the consent the hash names. Never
    /// throws for a row that fails (the result says why); throws <see cref="KeyServiceUnavailableException"/> when the key
    /// service fails (a consent that cannot be checked is not guessed at).
    /// </summary>
    public async ValueTask<ConsentReadResult> DecryptAsync(string table, string patientId, byte[] consentKey, byte[] stored, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await DecryptOnceAsync(table, patientId, consentKey, stored, cancellationToken).ConfigureAwait(false);
            }
            catch (DataKeyEvictedException) when (attempt < DataKey.MaxUseAttempts)
            {
                // The key was evicted between lookup and use: nothing was decrypted; look it up again.
            }
        }
    }

    private async ValueTask<ConsentReadResult> DecryptOnceAsync(string table, string patientId, byte[] consentKey, byte[] stored, CancellationToken cancellationToken)
    {
        if (stored.Length < HeaderSize + TagSize || stored[0] != FormatVersion)
        {
            return ConsentReadResult.Unreadable;
        }

        var keyId = new Guid(stored.AsSpan(1, KeyIdSize), bigEndian: true);
        DataKey key;
        try
        {
            key = await keyRing.GetDecryptionKeyAsync(keyId, cancellationToken).ConfigureAwait(false);
        }
        catch (DataKeyUnavailableException unavailable)
        {
            return unavailable.Failure == FieldDecryptionFailure.KeyDestroyed ? ConsentReadResult.Shredded : ConsentReadResult.Unreadable;
        }
        catch (CryptographicException exception) when (exception is not KeyAuthenticationException)
        {
            // The patient's data key row was altered (its wrapped key fails authentication). A forged key hierarchy
            // (KeyAuthenticationException) is not caught here: it fails the whole read, as it fails every field read.
            return ConsentReadResult.Unreadable;
        }

        if (!string.Equals(key.Scope, KeyScopes.Patient(patientId), StringComparison.Ordinal))
        {
            return ConsentReadResult.Unreadable; // encrypted under another patient's key: copied from their row
        }

        var length = stored.Length - HeaderSize - TagSize;
        var plaintext = new byte[length];
        try
        {
            if (!key.TryDecrypt(
                stored.AsSpan(1 + KeyIdSize, NonceSize),
                stored.AsSpan(HeaderSize, length),
                stored.AsSpan(HeaderSize + length),
                plaintext,
                AssociatedData(table, patientId, consentKey)))
            {
                return ConsentReadResult.Unreadable;
            }

            var payload = ConsentPayload.Deserialize(plaintext);
            if (payload is null
                || !string.Equals(payload.PatientId, patientId, StringComparison.Ordinal)
                || !CryptographicOperations.FixedTimeEquals(await ConsentKeyAsync(patientId, payload.ConsentId, cancellationToken).ConfigureAwait(false), consentKey))
            {
                return ConsentReadResult.Unreadable;
            }

            return new ConsentReadResult(payload);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static byte[] Hash(DataKey key, byte[] label, string first, string? second)
    {
        var data = new byte[LengthPrefixed(label.Length) + LengthPrefixed(Encoding.UTF8.GetByteCount(first)) + (second is null ? 0 : LengthPrefixed(Encoding.UTF8.GetByteCount(second)))];
        var offset = 0;
        Write(data, ref offset, label);
        Write(data, ref offset, first);
        if (second is not null)
        {
            Write(data, ref offset, second);
        }

        try
        {
            using var lease = key.LeaseMaterial();
            return HMACSHA256.HashData(lease.Material, data);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(data);
        }
    }

    private static byte[] AssociatedData(string table, string patientId, byte[] consentKey)
    {
        var data = new byte[LengthPrefixed(Label.Length) + LengthPrefixed(Encoding.UTF8.GetByteCount(table)) + LengthPrefixed(Encoding.UTF8.GetByteCount(patientId)) + LengthPrefixed(consentKey.Length)];
        var offset = 0;
        Write(data, ref offset, Label);
        Write(data, ref offset, table);
        Write(data, ref offset, patientId);
        Write(data, ref offset, consentKey);
        return data;
    }

    private static int LengthPrefixed(int length) => 4 + length;

    private static void Write(byte[] data, ref int offset, string text)
    {
        var length = Encoding.UTF8.GetBytes(text, data.AsSpan(offset + 4));
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(offset), length);
        offset += 4 + length;
    }

    private static void Write(byte[] data, ref int offset, ReadOnlySpan<byte> bytes)
    {
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(offset), bytes.Length);
        bytes.CopyTo(data.AsSpan(offset + 4));
        offset += 4 + bytes.Length;
    }
}
