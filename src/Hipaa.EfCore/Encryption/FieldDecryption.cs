using Hipaa.Encryption;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// Decrypts the encrypted properties of an entity being materialized, using the row's key and patient id from the same
/// result row, and remembers the plaintext of a tracked entity so SaveChanges knows what changed. A value that fails
/// authentication fails the query; plaintext is never guessed. An [Encrypted] partial property (see
/// <see cref="DeferredPropertyStorage"/>) is not decrypted here: its ciphertext is left in the entity and decrypted on the
/// property's first read, where the same failures surface.
/// </summary>
internal static class FieldDecryption
{
    /// <param name="runtime">The application's field encryption.</param>
    /// <param name="model">The entity type's encrypted properties.</param>
    /// <param name="entity">The entity being materialized.</param>
    /// <param name="row">The row's key value (an array of the parts of a composite key).</param>
    /// <param name="patient">The row's patient id value; <see langword="null"/> when none.</param>
    /// <param name="values">The row values the read hook received.</param>
    /// <param name="ciphertextSlots">For each of <paramref name="model"/>'s properties, where its stored value is in <paramref name="values"/>.</param>
    /// <param name="tracking">True when the query tracks the entity.</param>
    public static void Decrypt(FieldEncryptionRuntime runtime, EncryptedEntityModel model, object entity, object? row, object? patient, object?[] values, int[] ciphertextSlots, bool tracking)
    {
        var snapshot = tracking ? new object?[model.Properties.Count] : null;
        DataKey? lastKey = null;
        for (var i = 0; i < model.Properties.Count; i++)
        {
            var property = model.Properties[i];
            var stored = (byte[]?)values[ciphertextSlots[i]];
            if (stored is not null && property.Deferred is { } deferred)
            {
                // A partial property: decrypted on its first read, if it is ever read.
                deferred.Defer(entity, new DeferredFieldValue(runtime, model, property, stored, row, patient));
                if (snapshot is not null)
                {
                    snapshot[i] = EncryptionSnapshots.StillEncrypted;
                }

                continue;
            }

            var value = stored is null ? null : runtime.Decrypt(model, property, stored, row, patient, ref lastKey);
            property.SetValue(entity, value);
            if (snapshot is not null)
            {
                snapshot[i] = EncryptionSnapshots.Copy(value);
            }
        }

        if (snapshot is not null)
        {
            runtime.Snapshots.Set(entity, snapshot);
        }
    }
}
