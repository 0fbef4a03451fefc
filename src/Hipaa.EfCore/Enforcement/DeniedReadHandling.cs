namespace Hipaa.Policy;

/// <summary>What a query returns for a row the actor may not read.</summary>
public enum DeniedReadHandling
{
    /// <summary>
    /// The row comes back redacted: every property except the key, the patient id and foreign keys is reset to its
    /// default (null, 0, empty), and the audit record says Denied with the fields withheld. The default: lists keep
    /// working, and no PHI is returned.
    /// </summary>
    Redact = 0,

    /// <summary>The query fails with <see cref="PhiAccessDeniedException"/> (after the denial is audited).</summary>
    Throw = 1,
}
