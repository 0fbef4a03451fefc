using Hipaa.Encryption;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// One stored value a query left encrypted in a <see cref="DeferredPlaintext{T}"/>, with the binding it was read with
/// (row and patient as they were in the result row). Decrypted through <see cref="FieldEncryptionRuntime.Decrypt(EncryptedEntityModel, EncryptedPropertyModel, byte[], object, object)"/>,
/// so a deferred read applies the same key lookup, shredding and plaintext-migration policies as an eager one.
/// </summary>
internal sealed class DeferredFieldValue(FieldEncryptionRuntime runtime, EncryptedEntityModel model, EncryptedPropertyModel property, byte[] stored, object? row, object? patient)
    : DeferredDecryption
{
    public override object? Decrypt() => runtime.Decrypt(model, property, stored, row, patient);
}
