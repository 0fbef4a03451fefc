namespace Hipaa.Encryption;

/// <summary>
/// A stored value of one <see cref="EncryptedAttribute"/> property, with all it needs to be decrypted later: its
/// ciphertext, its binding (table, column, row, patient) and the application's keys. Handed by a query to a
/// <see cref="DeferredPlaintext{T}"/> and used at most once, on the property's first read.
/// </summary>
internal abstract class DeferredDecryption
{
    /// <summary>Decrypts the value, exactly as an eager read would (the same checks, policies and exceptions).</summary>
    public abstract object? Decrypt();
}
