using System.Security.Cryptography;

namespace Hipaa.Encryption;

/// <summary>
/// A stored encrypted value could not be decrypted. The message names the entity, the property and the key id, never
/// the value. <see cref="Failure"/> says why; <see cref="FieldDecryptionFailure.KeyDestroyed"/> means the value was
/// crypto-shredded.
/// </summary>
public sealed class FieldDecryptionException : CryptographicException
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="failure">Why decryption failed.</param>
    /// <param name="entity">The entity (or table) the value belongs to.</param>
    /// <param name="property">The property (or column) the value belongs to.</param>
    /// <param name="keyId">The data key named in the value's header, when it could be read.</param>
    /// <param name="message">A sentence that says what happened and what to do.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public FieldDecryptionException(
        FieldDecryptionFailure failure,
        string entity,
        string property,
        string? keyId,
        string message,
        Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        Entity = entity;
        Property = property;
        KeyId = keyId;
    }

    /// <summary>Initializes a new instance.</summary>
    public FieldDecryptionException()
        : this(FieldDecryptionFailure.Malformed, string.Empty, string.Empty, null, "An encrypted value could not be decrypted.")
    {
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">The message.</param>
    public FieldDecryptionException(string message)
        : this(FieldDecryptionFailure.Malformed, string.Empty, string.Empty, null, message)
    {
    }

    /// <summary>Initializes a new instance with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The underlying failure.</param>
    public FieldDecryptionException(string message, Exception innerException)
        : this(FieldDecryptionFailure.Malformed, string.Empty, string.Empty, null, message, innerException)
    {
    }

    /// <summary>Gets why decryption failed.</summary>
    public FieldDecryptionFailure Failure { get; }

    /// <summary>Gets the entity (or table) the value belongs to.</summary>
    public string Entity { get; }

    /// <summary>Gets the property (or column) the value belongs to.</summary>
    public string Property { get; }

    /// <summary>Gets the data key named in the value's header, when it could be read.</summary>
    public string? KeyId { get; }
}
