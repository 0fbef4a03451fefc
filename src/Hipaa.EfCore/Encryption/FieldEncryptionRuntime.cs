using System.Collections.Concurrent;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// Field encryption for one application: the key ring, the options and per-entity metadata, shared by the model
/// convention, the interceptors and the key manager. Disposed with the service provider, it disposes the key ring, which
/// zeroes every unwrapped key.
/// </summary>
/// <remarks>
/// Every use of a key here is a lookup followed by a use; when the cache evicts (and zeroes) the key in between, the use is
/// refused with <see cref="DataKeyEvictedException"/> before anything is encrypted, and is retried with a fresh lookup.
/// </remarks>
internal sealed class FieldEncryptionRuntime : IDisposable
{
    private readonly FieldEncryptionOptions _options;

    public FieldEncryptionRuntime(KeyRing keyRing, FieldEncryptionOptions options, ILogger? logger = null, DbContextOptions<KeyStoreDbContext>? keyStoreOptions = null)
    {
        KeyRing = keyRing;
        _options = options;
        Logger = logger ?? NullLogger.Instance;
        KeyStoreOptions = keyStoreOptions;
    }

    public KeyRing KeyRing { get; }

    /// <summary>Gets the options of the key store's database when the key ring's store is the EF key store (<see langword="null"/> otherwise).</summary>
    public DbContextOptions<KeyStoreDbContext>? KeyStoreOptions { get; }

    /// <summary>The logger of <see cref="FieldEncryptionLog"/>'s events.</summary>
    public ILogger Logger { get; }

    public EncryptionSnapshots Snapshots { get; } = new();

    public FieldEncryptionOptions Options => _options;

    public EncryptedEntityModel? GetModel(IEntityType entityType) => HipaaAnnotations.EncryptionModel(entityType);

    public byte[] ComputeBlindIndex(FieldValueCodec codec, object value, string table, string column)
    {
        for (var attempt = 1; ; attempt++)
        {
            var key = KeyRing.GetIndexKey(table, column);
            try
            {
                return BlindIndex.Compute(key, codec, value, table, column);
            }
            catch (DataKeyEvictedException) when (attempt < DataKey.MaxUseAttempts)
            {
                // Evicted between lookup and use: nothing was hashed; look it up again.
            }
        }
    }

    /// <summary>Disposes the key ring: every cached key is zeroed (a key in use as soon as that use ends).</summary>
    public void Dispose() => KeyRing.Dispose();

    public string ScopeFor(EncryptedEntityModel entity, EncryptedPropertyModel property, string patientId) => _options.KeyScope switch
    {
        KeyScope.Application => KeyScopes.Application,
        KeyScope.Patient when entity.PatientId is not null && patientId.Length > 0 => KeyScopes.Patient(patientId),
        _ => KeyScopes.Column(entity.Table, property.Column),
    };

    /// <summary>Encrypts a value in the current format (version 2), bound to its column, row and patient.</summary>
    /// <param name="entity">The entity type's encrypted properties.</param>
    /// <param name="property">The property whose value this is.</param>
    /// <param name="value">The plaintext value (not null).</param>
    /// <param name="row">The row's key value (an array of the parts of a composite key: <see cref="EncryptedEntityModel.RowKey"/>).</param>
    /// <param name="patient">The row's patient id value; <see langword="null"/> when the entity has none.</param>
    /// <param name="patientId">The canonical text of <paramref name="patient"/> ("" when none), which names a per-patient key.</param>
    public byte[] Encrypt(EncryptedEntityModel entity, EncryptedPropertyModel property, object value, object? row, object? patient, string patientId)
    {
        var scope = ScopeFor(entity, property, patientId);
        for (var attempt = 1; ; attempt++)
        {
            var key = KeyRing.GetEncryptionKey(scope);
            try
            {
                return FieldCipher.Encrypt(key, property.Codec, value, new FieldBinding(property.Binding, row, Bound(entity, patient)));
            }
            catch (DataKeyEvictedException) when (attempt < DataKey.MaxUseAttempts)
            {
                // Evicted between lookup and use: nothing was encrypted; look it up again.
            }
        }
    }

    /// <summary>As <see cref="Encrypt"/>, loading the data key asynchronously.</summary>
    public async ValueTask<byte[]> EncryptAsync(EncryptedEntityModel entity, EncryptedPropertyModel property, object value, object? row, object? patient, string patientId, CancellationToken cancellationToken)
    {
        var scope = ScopeFor(entity, property, patientId);
        for (var attempt = 1; ; attempt++)
        {
            var key = await KeyRing.GetEncryptionKeyAsync(scope, cancellationToken).ConfigureAwait(false);
            try
            {
                return FieldCipher.Encrypt(key, property.Codec, value, new FieldBinding(property.Binding, row, Bound(entity, patient)));
            }
            catch (DataKeyEvictedException) when (attempt < DataKey.MaxUseAttempts)
            {
                // Evicted between lookup and use: nothing was encrypted; look it up again.
            }
        }
    }

    /// <summary>Decrypts a stored value (format version 1 or 2), applying the shredded-value and plaintext-migration policies.</summary>
    public object? Decrypt(EncryptedEntityModel entity, EncryptedPropertyModel property, byte[] stored, object? row, object? patient)
    {
        DataKey? noKeyYet = null;
        return Decrypt(entity, property, stored, row, patient, ref noKeyYet);
    }

    /// <summary>As <see cref="Decrypt(EncryptedEntityModel, EncryptedPropertyModel, byte[], object, object)"/>, for the values of one row in turn.</summary>
    /// <param name="entity">The entity type's encrypted properties.</param>
    /// <param name="property">The property whose value this is.</param>
    /// <param name="stored">The stored value.</param>
    /// <param name="row">The row's key value (an array of the parts of a composite key).</param>
    /// <param name="patient">The row's patient id value; <see langword="null"/> when the entity has none.</param>
    /// <param name="lastKey">
    /// The data key of the row's previous value, reused when this value names the same key (one key-ring lookup per row
    /// under per-patient or per-row keys); updated to this value's key.
    /// </param>
    public object? Decrypt(EncryptedEntityModel entity, EncryptedPropertyModel property, byte[] stored, object? row, object? patient, ref DataKey? lastKey)
    {
        if (_options.AllowPlaintextReadsDuringMigration && !FieldCiphertext.LooksEncrypted(stored))
        {
            return LegacyPlaintext.Decode(property, stored, entity.DisplayName);
        }

        var keyId = FieldCipher.ReadKeyId(stored, entity.DisplayName, property.Name);
        if (FieldCiphertext.IsVersion1(stored) && (_options.AcceptedCiphertextFormats & CiphertextFormatVersions.Version1) == 0)
        {
            throw Format1Refused(entity, property, keyId);
        }

        for (var attempt = 1; ; attempt++)
        {
            if (LookUpDecryptionKey(entity, property, keyId, ref lastKey) is not { } key)
            {
                return null; // shredded, and shredded values read as null
            }

            try
            {
                return FieldCipher.Decrypt(key, property.Codec, stored, new FieldBinding(property.Binding, row, Bound(entity, patient)), entity.DisplayName, property.Name);
            }
            catch (DataKeyEvictedException) when (attempt < DataKey.MaxUseAttempts)
            {
                // Evicted between lookup and use: nothing was decrypted; look it up again.
                lastKey = null;
            }
        }
    }

    /// <summary>
    /// The key a value names, reusing <paramref name="lastKey"/> when it is that key; null when the key was destroyed and
    /// shredded values read as null.
    /// </summary>
    private DataKey? LookUpDecryptionKey(EncryptedEntityModel entity, EncryptedPropertyModel property, Guid keyId, ref DataKey? lastKey)
    {
        try
        {
            var key = lastKey is { } previous && previous.Id == keyId ? previous : KeyRing.GetDecryptionKey(keyId);
            lastKey = key;
            return key;
        }
        catch (DataKeyUnavailableException unavailable) when (unavailable.Failure == FieldDecryptionFailure.KeyDestroyed)
        {
            if (_options.ShreddedValues == ShreddedValueHandling.ReturnNull && property.AcceptsNull)
            {
                return null;
            }

            throw new FieldDecryptionException(
                FieldDecryptionFailure.KeyDestroyed,
                entity.DisplayName,
                property.Name,
                keyId.ToString(),
                $"The value of {entity.DisplayName}.{property.Name} was crypto-shredded: its data key {keyId} was destroyed and it can never be decrypted again.",
                unavailable);
        }
        catch (DataKeyUnavailableException unavailable)
        {
            throw new FieldDecryptionException(
                unavailable.Failure,
                entity.DisplayName,
                property.Name,
                keyId.ToString(),
                $"The value of {entity.DisplayName}.{property.Name} names data key {keyId}, which is not in the key store. The value was written with another key store, or the key table is incomplete.",
                unavailable);
        }
        catch (KeyServiceUnavailableException failure)
        {
            throw new KeyServiceUnavailableException($"{entity.DisplayName}.{property.Name} could not be decrypted (data key {keyId}): {failure.Message}", failure)
            {
                KeyId = failure.KeyId ?? keyId.ToString(),
            };
        }
    }

    /// <summary>A format 1 value where the options accept format 2 only: refused before any key is looked up.</summary>
    private static FieldDecryptionException Format1Refused(EncryptedEntityModel entity, EncryptedPropertyModel property, Guid keyId) => new(
        FieldDecryptionFailure.FormatRefused,
        entity.DisplayName,
        property.Name,
        keyId.ToString(),
        $"The value of {entity.DisplayName}.{property.Name} is in ciphertext format version 1, which FieldEncryptionOptions.AcceptedCiphertextFormats refuses (format 1 does not bind the table's schema); it was not decrypted. Either ReencryptAsync did not rewrite it (accept Version1 again, run ReencryptAsync, then refuse it once more) or someone with write access to the database copied it here from another table, schema or database.");

    /// <summary>The patient part of a binding: none for an entity without <c>[PatientId]</c>, whatever the caller passed.</summary>
    private static object? Bound(EncryptedEntityModel entity, object? patient) => entity.PatientId is null ? null : patient;
}
