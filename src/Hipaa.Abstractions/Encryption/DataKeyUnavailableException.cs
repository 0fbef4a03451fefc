namespace Hipaa.Encryption;

/// <summary>Raised inside the key ring when a key named by a value is unknown or destroyed; turned into a <see cref="FieldDecryptionException"/> with the field's context.</summary>
internal sealed class DataKeyUnavailableException(Guid keyId, FieldDecryptionFailure failure)
    : Exception(failure == FieldDecryptionFailure.KeyDestroyed
        ? $"Data key {keyId} was destroyed (crypto-shredded)."
        : $"Data key {keyId} is not in the key store.")
{
    public Guid KeyId { get; } = keyId;

    public FieldDecryptionFailure Failure { get; } = failure;
}
