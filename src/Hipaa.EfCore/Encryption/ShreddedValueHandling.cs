namespace Hipaa.Encryption;

/// <summary>What reading a value whose data key was destroyed (crypto-shredded) returns.</summary>
public enum ShreddedValueHandling
{
    /// <summary>
    /// Throw a <see cref="FieldDecryptionException"/> with <see cref="FieldDecryptionFailure.KeyDestroyed"/> (the default):
    /// the query fails and says which entity, property and key.
    /// </summary>
    Throw = 0,

    /// <summary>
    /// Return <see langword="null"/> for the property, so the rest of the row stays readable. Properties that cannot hold
    /// <see langword="null"/> still throw — value types other than <see cref="Nullable{T}"/>, and reference types declared
    /// non-nullable (<c>string</c>, <c>byte[]</c> in a nullable context): the SDK never invents a value (an empty string
    /// would read as a real one) and never breaks a declared non-nullability.
    /// </summary>
    ReturnNull = 1,
}
