namespace Hipaa.EfCore.Auditing.Reports;

/// <summary>What makes a <see cref="SharedLoginFinding"/> look like more than one person.</summary>
public enum SharedLoginFindingKind
{
    /// <summary>The user id was active from several client addresses at once.</summary>
    SeveralAddresses = 1,

    /// <summary>The user id was active at once from one client address through several client applications (or devices that report themselves as such).</summary>
    SeveralApplications = 2,
}
