using Hl7.Fhir.Model;

namespace Hipaa.Fhir;

/// <summary>
/// The code systems and codes of the Consent mapping (docs/policy.md, "FHIR Consent and security labels"). Every HL7 code
/// here was checked against the R4 terminology in Hl7.Fhir.Specification.Data.R4 (v3-ActCode and v3-ActReason
/// 2018-08-12, consentscope, consentpolicycodes, consent-category).
/// </summary>
internal static class ConsentCodes
{
    public const string ConsentScope = "http://terminology.hl7.org/CodeSystem/consentscope";
    public const string ConsentPolicy = "http://terminology.hl7.org/CodeSystem/consentpolicycodes";
    public const string ActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    public const string ActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
    public const string ParticipationType = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
    public const string Loinc = "http://loinc.org";

    /// <summary>consentscope <c>patient-privacy</c>: "Agreement to collect, access, use or disclose (share) information".</summary>
    public static Coding PatientPrivacy => new(ConsentScope, "patient-privacy", "Privacy Consent");

    /// <summary>v3-ActCode <c>IDSCL</c> (_ActConsentType): "Consent to have collected healthcare information disclosed."</summary>
    public static Coding InformationDisclosure => new(ActCode, "IDSCL", "information disclosure");

    /// <summary>LOINC <c>64292-6</c>, one of the four LOINC codes of the R4 consent-category value set.</summary>
    public static Coding ReleaseOfInformation => new(Loinc, "64292-6", "Release of information consent");

    /// <summary>v3-ActCode <c>42CFRPart2</c> (_ActUSPrivacyLaw).</summary>
    public static Coding Part2Law => new(ActCode, "42CFRPart2", "42 CFR Part2");

    /// <summary>v3-ActCode <c>HIPAAPsyNotes</c> (_ActUSPrivacyLaw).</summary>
    public static Coding PsychotherapyNotesLaw => new(ActCode, "HIPAAPsyNotes", "HIPAA psychotherapy notes");

    /// <summary>consentpolicycodes <c>hipaa-auth</c>: a HIPAA authorization.</summary>
    public static Coding HipaaAuthorization => new(ConsentPolicy, "hipaa-auth", "HIPAA Authorization");

    /// <summary>v3-ParticipationType <c>IRCP</c>: information recipient.</summary>
    public static Coding InformationRecipient => new(ParticipationType, "IRCP", "information recipient");
}
