namespace Hipaa.Encryption;

/// <summary>Why a stored encrypted value could not be turned back into plaintext.</summary>
public enum FieldDecryptionFailure
{
    /// <summary>The value is shorter than its header, or its header is not one the SDK wrote.</summary>
    Malformed = 0,

    /// <summary>The value's format version or algorithm is not one this version of the SDK can read.</summary>
    UnsupportedFormat = 1,

    /// <summary>
    /// Authentication failed: the value was modified, or it was copied from another schema, table, column or row, or it
    /// was encrypted by another application's key.
    /// </summary>
    AuthenticationFailed = 2,

    /// <summary>The data key named in the value's header is not in the key store.</summary>
    UnknownKey = 3,

    /// <summary>The data key named in the value's header was destroyed (crypto-shredded); the value can never be read again.</summary>
    KeyDestroyed = 4,

    /// <summary>
    /// A search on a searchable property's blind index found a row whose decrypted value does not match what was searched:
    /// the index was moved to this row (swapped, copied or cleared) or altered, by someone with write access to the
    /// database. The query fails rather than return or act on the wrong row.
    /// </summary>
    IndexMismatch = 5,

    /// <summary>
    /// The value is in a ciphertext format version the application was configured to refuse
    /// (<c>FieldEncryptionOptions.AcceptedCiphertextFormats</c>; format 1, which does not bind the table's schema, once
    /// every value was re-encrypted). It was not decrypted: it was missed by the re-encryption, or copied here by someone
    /// with write access to the database.
    /// </summary>
    FormatRefused = 6,
}
