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
    /// Return <see langword="null"/> for the property, so the rest of the row stays readable. Properties whose type cannot
    /// hold <see langword="null"/> still throw: the SDK never invents a value.
    /// </summary>
    ReturnNull = 1,
}
