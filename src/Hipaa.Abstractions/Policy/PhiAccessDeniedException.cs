namespace Hipaa.Policy;

/// <summary>
/// The policy engine denied an access to PHI: a write was refused before it reached the database, or a read of a
/// category configured to fail rather than be redacted. The denial is in the audit trail; <see cref="Decision"/> says
/// which rule decided and why, in a sentence without PHI.
/// </summary>
public sealed class PhiAccessDeniedException : Exception
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="decision">The deny decision.</param>
    /// <param name="what">What was attempted, e.g. "Update of ProgressNote".</param>
    public PhiAccessDeniedException(AccessDecision decision, string what)
        : base($"{what} was denied by rule {decision?.Rule.Id}: {decision?.Explanation}")
    {
        ArgumentNullException.ThrowIfNull(decision);
        Decision = decision;
    }

    /// <summary>Initializes a new instance.</summary>
    public PhiAccessDeniedException()
        : base("Access to PHI was denied.")
    {
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">The message.</param>
    public PhiAccessDeniedException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public PhiAccessDeniedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets the deny decision, when the engine made one.</summary>
    public AccessDecision? Decision { get; }
}
