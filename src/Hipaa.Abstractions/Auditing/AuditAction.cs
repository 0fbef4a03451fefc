namespace Hipaa.Auditing;

/// <summary>What was done to the records an audit record covers (IHE BALP / FHIR AuditEvent action codes in brackets).</summary>
public enum AuditAction
{
    /// <summary>Records were created [C].</summary>
    Create = 1,

    /// <summary>Records were read [R].</summary>
    Read = 2,

    /// <summary>Records were changed [U].</summary>
    Update = 3,

    /// <summary>Records were deleted [D].</summary>
    Delete = 4,

    /// <summary>A command ran whose effect on records is not known row by row (raw SQL) [E].</summary>
    Execute = 5,

    /// <summary>Records were exported (e.g. a report or a file) [R].</summary>
    Export = 6,

    /// <summary>Records were disclosed to a recipient outside the practice [R]; counts for the accounting of disclosures.</summary>
    Disclose = 7,
}
