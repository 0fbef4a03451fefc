namespace Hipaa.Policy;

/// <summary>Something the caller must do when it acts on a permit.</summary>
public enum Obligation
{
    /// <summary>
    /// Attach the 42 CFR 2.32 notice prohibiting redisclosure (with a copy or the scope of the consent) to a Part 2
    /// record disclosed outside the practice under a Part 2 consent or court order.
    /// </summary>
    RedisclosureNotice = 0,

    /// <summary>Record the disclosure for the accounting of disclosures (45 CFR 164.528; 42 CFR 2.25).</summary>
    AccountDisclosure = 1,

    /// <summary>Flag the access as break-the-glass in the audit record and queue it for the compliance officer's review.</summary>
    BreakGlassReview = 2,

    /// <summary>Return only the fields of <see cref="AccessDecision.FieldMask"/> (minimum necessary, 45 CFR 164.502(b)).</summary>
    MaskFields = 3,
}
