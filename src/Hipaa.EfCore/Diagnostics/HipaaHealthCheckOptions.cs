namespace Hipaa.Diagnostics;

/// <summary>Thresholds of the Hipaa.Sdk health checks (<c>AddHipaaHealthChecks()</c>).</summary>
public sealed class HipaaHealthCheckOptions
{
    /// <summary>
    /// Gets or sets how old the oldest unsealed audit record may be before the sealing check reports Degraded. Default 1
    /// minute (sealing runs every <c>SealInterval</c>, 1 second by default).
    /// </summary>
    public TimeSpan SealingLagDegraded { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Gets or sets how old the oldest unsealed audit record may be before the sealing check reports Unhealthy: records
    /// that old are not yet protected by the hash chain. Default 15 minutes; at least <see cref="SealingLagDegraded"/>.
    /// </summary>
    public TimeSpan SealingLagUnhealthy { get; set; } = TimeSpan.FromMinutes(15);
}
