namespace Hipaa.Encryption;

/// <summary>
/// A value could not be encrypted because its key scope (a patient, a column, the application) was crypto-shredded:
/// its data keys were destroyed, and the scope accepts no new values. Nothing was written. Retrying does not help; a
/// value written now would be as unreadable as the rest of the scope's data.
/// </summary>
public sealed class ShreddedScopeException : Exception
{
    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">What was refused and why; never contains PHI.</param>
    public ShreddedScopeException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and the failure that revealed the shred.</summary>
    /// <param name="message">What was refused and why; never contains PHI.</param>
    /// <param name="innerException">The underlying failure.</param>
    public ShreddedScopeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance.</summary>
    public ShreddedScopeException()
        : base("The key scope was crypto-shredded; no value can be encrypted for it.")
    {
    }

    /// <summary>Gets the shredded scope as named in the key table (for example <c>patient:…</c>), when known.</summary>
    public string? Scope { get; init; }
}
