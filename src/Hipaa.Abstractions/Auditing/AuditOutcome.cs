namespace Hipaa.Auditing;

/// <summary>How the access ended.</summary>
public enum AuditOutcome
{
    /// <summary>The access happened.</summary>
    Success = 0,

    /// <summary>Policy denied the access; nothing was returned or changed.</summary>
    Denied = 1,

    /// <summary>The access was attempted and failed.</summary>
    Failed = 2,
}
