namespace Hipaa.Auditing;

/// <summary>
/// The audit trail could not record an access, so the access was refused: a read returned nothing, a write was rolled
/// back. Retry when the audit store is reachable.
/// </summary>
public sealed class AuditUnavailableException : Exception
{
    /// <summary>Initializes a new instance.</summary>
    public AuditUnavailableException()
        : base("The audit store is unavailable; the access was refused.")
    {
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">What failed.</param>
    public AuditUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and the store's failure.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The failure of the audit store.</param>
    public AuditUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
