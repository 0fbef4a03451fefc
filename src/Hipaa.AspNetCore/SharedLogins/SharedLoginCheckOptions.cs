namespace Hipaa.AspNetCore;

/// <summary>
/// The live shared-login check of <c>UseHipaaAccessContext()</c> (<see cref="PhiAuthorizationOptions.SharedLogins"/>):
/// each authenticated request's user id and place (client address and client application) are compared with where that
/// user was seen within <see cref="ConcurrencyWindow"/>, in this process.
/// </summary>
public sealed class SharedLoginCheckOptions
{
    /// <summary>
    /// Gets or sets a value indicating whether the check runs. Defaults to <see langword="true"/>: a user seen back and forth
    /// between two places within the window raises a <see cref="SharedLoginAlert"/> (logged as event 4109 and passed to every
    /// <see cref="ISharedLoginAlertHandler"/>).
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Gets or sets how recently a user must have been seen at another place for a request to count as concurrent with it.
    /// Defaults to 2 minutes; from 10 seconds to 1 hour.
    /// </summary>
    public TimeSpan ConcurrencyWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Gets or sets a value indicating whether a request from a second place while the user was seen at another within
    /// <see cref="ConcurrencyWindow"/> is refused (403, rule <c>identity.concurrent-session</c>, audited), rather than only
    /// alerted on. Defaults to <see langword="false"/>. Opt in for a one-session-per-user policy: a user who moves to another
    /// workstation is then refused there until the window has passed since their last request at the first.
    /// </summary>
    public bool RefuseConcurrentSessions { get; set; }
}
