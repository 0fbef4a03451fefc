namespace Hipaa.Encryption;

/// <summary>
/// Versions of the stored ciphertext format (docs/ciphertext-format.md), as a set: which ones
/// <see cref="FieldEncryptionOptions.AcceptedCiphertextFormats"/> lets the application read.
/// </summary>
[Flags]
public enum CiphertextFormatVersions
{
    /// <summary>No version: not a valid setting (the application could not read what it writes).</summary>
    None = 0,

    /// <summary>
    /// Format version 1, written by versions of the SDK before format 2: bound to table, column, row and patient, but not
    /// to the table's schema. <c>FieldEncryptionKeyManager.ReencryptAsync</c> rewrites such values to version 2.
    /// </summary>
    Version1 = 1,

    /// <summary>Format version 2, which the SDK writes: bound to schema, table, column, row and patient.</summary>
    Version2 = 2,
}
