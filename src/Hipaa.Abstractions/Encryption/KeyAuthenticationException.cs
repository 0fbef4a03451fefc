using System.Security.Cryptography;

namespace Hipaa.Encryption;

/// <summary>
/// An entry of the key table failed authentication: it cannot be shown to have been made by a holder of the
/// key-encryption key (or this deployment's chain of intermediate keys), so it is refused and nothing is encrypted or
/// decrypted under it. With an asymmetric KEK, whose wrapping needs only its public key, this is what a key row inserted
/// by someone with write access to the database looks like. Retrying does not help; investigate the key table.
/// </summary>
public sealed class KeyAuthenticationException : CryptographicException
{
    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">What was refused and why; never contains key material or PHI.</param>
    public KeyAuthenticationException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and the underlying failure.</summary>
    /// <param name="message">What was refused and why; never contains key material or PHI.</param>
    /// <param name="innerException">The underlying failure.</param>
    public KeyAuthenticationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance.</summary>
    public KeyAuthenticationException()
        : base("An entry of the key table failed authentication.")
    {
    }

    /// <summary>Gets the id of the refused key-table entry, when known.</summary>
    public string? KeyId { get; init; }
}
