namespace Hipaa.Policy;

/// <summary>The legal instrument a <see cref="Consent"/> is.</summary>
public enum ConsentKind
{
    /// <summary>A 42 CFR 2.31 written consent to disclose Part 2 records to the named recipients for the named purposes.</summary>
    Part2 = 1,

    /// <summary>
    /// The single 42 CFR Part 2 consent for all future uses and disclosures for treatment, payment and health care
    /// operations (2024 rule, 42 CFR 2.33(b)); it covers only <c>TREAT</c>, <c>HPAYMT</c> and <c>HOPERAT</c>.
    /// </summary>
    Part2Tpo = 2,

    /// <summary>The separate consent SUD counseling notes need (42 CFR 2.31(b)); not combinable with other consents.</summary>
    SudCounselingNoteConsent = 3,

    /// <summary>A HIPAA authorization specific to psychotherapy notes (45 CFR 164.508(a)(2)).</summary>
    PsychotherapyAuthorization = 4,

    /// <summary>A HIPAA authorization for other uses and disclosures (45 CFR 164.508), for example research or marketing.</summary>
    HipaaAuthorization = 5,
}
