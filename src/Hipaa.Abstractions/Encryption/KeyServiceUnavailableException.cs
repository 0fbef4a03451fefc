namespace Hipaa.Encryption;

/// <summary>
/// The key-encryption key or the key store could not be reached or refused the operation. Nothing was written and no
/// plaintext was returned; the operation can be retried once the key service is back.
/// </summary>
public sealed class KeyServiceUnavailableException : Exception
{
    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">What failed and what to do; never contains PHI.</param>
    public KeyServiceUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and the failure of the key service.</summary>
    /// <param name="message">What failed and what to do; never contains PHI.</param>
    /// <param name="innerException">The exception the key service threw.</param>
    public KeyServiceUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance.</summary>
    public KeyServiceUnavailableException()
        : base("The key service is unavailable.")
    {
    }

    /// <summary>Gets the identifier of the key involved, when known.</summary>
    public string? KeyId { get; init; }
}
