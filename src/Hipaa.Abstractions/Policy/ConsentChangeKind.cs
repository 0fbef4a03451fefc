namespace Hipaa.Policy;

/// <summary>What happened to a consent in its history.</summary>
public enum ConsentChangeKind
{
    /// <summary>The consent was recorded.</summary>
    Recorded = 1,

    /// <summary>The consent was revoked.</summary>
    Revoked = 2,
}
