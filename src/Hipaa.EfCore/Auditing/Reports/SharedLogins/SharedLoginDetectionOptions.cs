namespace Hipaa.EfCore.Auditing.Reports;

/// <summary>
/// The windows of <see cref="AuditReports.SharedLoginsAsync"/>: when a user's accesses from one
/// place form a session, and how long two sessions of one user from different places must overlap to be flagged.
/// </summary>
public sealed class SharedLoginDetectionOptions
{
    /// <summary>
    /// Gets or sets how long a user may be idle at one place (client address and application) before their next access
    /// there starts a new session. Defaults to 15 minutes, the automatic logoff most practices use; from 1 minute to 24 hours.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Gets or sets how long two sessions of one user from different places must overlap to be flagged. Defaults to
    /// 5 minutes: a user who walks from one workstation to another and is briefly seen at both is not flagged; two people
    /// working at once under one id are. From zero (any overlap) to <see cref="IdleTimeout"/>.
    /// </summary>
    public TimeSpan MinimumOverlap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Throws when a window is out of range, naming it and its allowed range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A window is out of range.</exception>
    public void Validate()
    {
        if (IdleTimeout < TimeSpan.FromMinutes(1) || IdleTimeout > TimeSpan.FromHours(24))
        {
            throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, $"IdleTimeout is {IdleTimeout}; use a value from 00:01:00 to 1.00:00:00 (the idle time after which an access starts a new session).");
        }

        if (MinimumOverlap < TimeSpan.Zero || MinimumOverlap > IdleTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(MinimumOverlap), MinimumOverlap, $"MinimumOverlap is {MinimumOverlap}; use a value from 00:00:00 to IdleTimeout ({IdleTimeout}).");
        }
    }
}
