namespace Hipaa.Policy;

/// <summary>Whether a request is allowed.</summary>
public enum AccessOutcome
{
    /// <summary>Not allowed. The default: no rule, no access.</summary>
    Deny = 0,

    /// <summary>Allowed, subject to the decision's obligations.</summary>
    Permit = 1,
}
