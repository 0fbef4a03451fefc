namespace Hipaa.Policy;

/// <summary>The engine's rules: stable ids, citations and explanations. Ids are part of the audit record; never reuse one.</summary>
internal static class PolicyRules
{
    private static readonly List<PolicyRule> s_all = [];

    // Rule 1: identity.
    public static readonly PolicyRule UniqueUser = Add(
        "identity.unique-user", "45 CFR 164.312(a)(2)(i)",
        "Denied because the request carries no unique user id, and every user of PHI must be uniquely identified.");

    public static readonly PolicyRule SharedAccount = Add(
        "identity.shared-account", "45 CFR 164.312(a)(2)(i)",
        "Denied because the request comes from a shared or generic account, and every user of PHI must be uniquely identified.");

    // Rule 1b: key maintenance (re-encryption), decided before the role matrix and only by the purpose.
    public static readonly PolicyRule MaintenanceReencrypt = Add(
        "maintenance.reencrypt", "45 CFR 164.312(a)(2)(iv), 164.312(b)",
        "Permitted as key maintenance: the record's stored, encrypted form is rewritten under the system administration purpose, without its content being changed or shown to anyone.");

    public static readonly PolicyRule MaintenancePurposeRequired = Add(
        "maintenance.purpose-required", "45 CFR 164.312(a)(2)(iv)",
        "Denied because re-encryption is key maintenance, done only under the system administration purpose of use (HSYSADMIN).");

    // Rule 2: purpose fits the role.
    public static readonly PolicyRule PurposeRoleFit = Add(
        "purpose.role-fit", "45 CFR 164.502(b), 164.514(d)(2)",
        "Denied because none of the actor's roles may act for this purpose of use with this action.");

    // Rule 3: the patient's own record.
    public static readonly PolicyRule PatientOwnRecordOnly = Add(
        "patient.own-record-only", "45 CFR 164.524(a)(1)",
        "Denied because a patient's right of access covers only the patient's own records and those of a patient whose personal representative they are.");

    public static readonly PolicyRule PatientNotesExcluded = Add(
        "patient.notes-excluded", "45 CFR 164.524(a)(1)(i); 42 CFR 2.11",
        "Denied because psychotherapy notes and SUD counseling notes are excluded from the patient's right of access.");

    public static readonly PolicyRule PatientReadOnly = Add(
        "patient.read-only", "45 CFR 164.524(a)(1)",
        "Denied because the patient's right of access is to inspect and obtain a copy of the record, not to change, delete or disclose it here.");

    public static readonly PolicyRule PatientCategoryNotAvailable = Add(
        "patient.category-not-available", "45 CFR 164.524(a)(1); role catalog",
        "Denied because the role catalog does not offer this category of record through patient access.");

    public static readonly PolicyRule PatientRightOfAccess = Add(
        "patient.right-of-access", "45 CFR 164.524(a)(1)",
        "Permitted because patients have a right to access their own records.");

    public static readonly PolicyRule PatientPersonalRepresentative = Add(
        "patient.personal-representative", "45 CFR 164.502(g), 164.524(a)(1)",
        "Permitted because a personal representative is treated as the individual for the individual's right of access to their records.");

    // Rule 4: psychotherapy notes and SUD counseling notes.
    public static readonly PolicyRule NotesNoDelete = Add(
        "notes.no-delete", "45 CFR 164.508(a)(2); 42 CFR 2.11",
        "Denied because psychotherapy notes and SUD counseling notes may not be deleted through the record system.");

    public static readonly PolicyRule NotesNoBreakGlass = Add(
        "notes.no-break-glass", "45 CFR 164.508(a)(2); 42 CFR 2.31(b)",
        "Denied because break-the-glass access never reaches psychotherapy notes or SUD counseling notes.");

    public static readonly PolicyRule NotesNeverBilling = Add(
        "notes.never-billing", "45 CFR 164.508(a)(2)",
        "Denied because psychotherapy notes and SUD counseling notes are never released to billing.");

    public static readonly PolicyRule NotesAuthorUse = Add(
        "notes.author-use", "45 CFR 164.508(a)(2)(i)(A); 42 CFR 2.31(b)",
        "Permitted because the author of a psychotherapy or SUD counseling note may use it for treatment.");

    public static readonly PolicyRule NotesSupervisedTraining = Add(
        "notes.supervised-training", "45 CFR 164.508(a)(2)(i)(B)",
        "Permitted because a clinical supervisor may use these notes in a supervised mental-health training program.");

    public static readonly PolicyRule NotesOversight = Add(
        "notes.oversight", "45 CFR 164.502(a)(2)(ii), 164.508(a)(2)(ii)",
        "Permitted because disclosure to HHS for compliance oversight needs no authorization.");

    public static readonly PolicyRule NotesAuthorization = Add(
        "notes.authorization", "45 CFR 164.508(a)(2); 42 CFR 2.31(b)",
        "Permitted because a valid authorization specific to these notes names this recipient, purpose and category.");

    public static readonly PolicyRule NotesAuthorizationRequired = Add(
        "notes.authorization-required", "45 CFR 164.508(a)(2); 42 CFR 2.31(b)",
        "Denied because these notes are for their author's treatment use, and anyone else needs an authorization specific to them or a listed exception.");

    // Rule 5: break-the-glass.
    public static readonly PolicyRule BreakGlassReasonRequired = Add(
        "break-glass.reason-required", "45 CFR 164.312(a)(2)(ii)",
        "Denied because break-the-glass access requires a stated emergency reason.");

    public static readonly PolicyRule BreakGlassClinicalRoleRequired = Add(
        "break-glass.clinical-role-required", "45 CFR 164.312(a)(2)(ii)",
        "Denied because only a clinical role may use break-the-glass access.");

    public static readonly PolicyRule BreakGlassEmergencyAccess = Add(
        "break-glass.emergency-access", "45 CFR 164.312(a)(2)(ii); 42 CFR 2.51",
        "Permitted as emergency (break-the-glass) access by a clinician who stated a reason, beyond the usual care-team and role limits.");

    // Rule 6: the role matrix.
    public static readonly PolicyRule UnknownCategory = Add(
        "default.unknown-category", "45 CFR 164.502(b); deny by default",
        "Denied by default because no rule in the role catalog covers this category of record.");

    public static readonly PolicyRule CareTeamRequired = Add(
        "matrix.care-team-required", "45 CFR 164.502(b), 164.514(d)(2)",
        "Denied because clinical roles reach only patients they have a treatment relationship with, and the actor has none with this patient.");

    public static readonly PolicyRule NotPermitted = Add(
        "matrix.not-permitted", "45 CFR 164.502(b), 164.514(d)(2)",
        "Denied because none of the actor's roles may perform this action on this category of record (minimum necessary).");

    public static readonly PolicyRule RolePermission = Add(
        "matrix.role-permission", "45 CFR 164.502(b), 164.514(d)(2)",
        "Permitted because the actor's role may perform this action on this category of record.");

    // Rule 7: disclosures outside the practice.
    public static readonly PolicyRule Part2Consent = Add(
        "disclosure.part2-consent", "42 CFR 2.31, 2.33(a)",
        "Permitted because a valid Part 2 written consent names this recipient, purpose and category.");

    public static readonly PolicyRule Part2TpoConsent = Add(
        "disclosure.part2-tpo-consent", "42 CFR 2.31(a)(4)(i), 2.33(b)",
        "Permitted because the patient's single Part 2 consent for treatment, payment and health care operations covers this disclosure.");

    public static readonly PolicyRule Part2CourtOrder = Add(
        "disclosure.part2-court-order", "42 CFR 2.64",
        "Permitted because a court order meeting 42 CFR 2.64 covers this Part 2 record for the legal proceeding.");

    public static readonly PolicyRule Part2Emergency = Add(
        "disclosure.part2-emergency", "42 CFR 2.51",
        "Permitted as a disclosure of a Part 2 record to meet a medical emergency.");

    public static readonly PolicyRule Part2ConsentRequired = Add(
        "disclosure.part2-consent-required", "42 CFR 2.13, 2.31",
        "Denied because a Part 2 record leaves the practice only under a consent naming the recipient and purpose, a 42 CFR 2.64 court order, or a medical emergency.");

    public static readonly PolicyRule TreatmentPaymentOperations = Add(
        "disclosure.treatment-payment-operations", "45 CFR 164.506(c)",
        "Permitted because disclosures for treatment, payment or health care operations need no authorization.");

    public static readonly PolicyRule Judicial = Add(
        "disclosure.judicial", "45 CFR 164.512(e)",
        "Permitted because a court order authorizes this disclosure for a legal proceeding.");

    public static readonly PolicyRule Oversight = Add(
        "disclosure.oversight", "45 CFR 164.502(a)(2)(ii)",
        "Permitted because disclosure to HHS for compliance oversight needs no authorization.");

    public static readonly PolicyRule HipaaAuthorization = Add(
        "disclosure.hipaa-authorization", "45 CFR 164.508(a)(1)",
        "Permitted because a valid HIPAA authorization names this recipient, purpose and category.");

    public static readonly PolicyRule AuthorizationRequired = Add(
        "disclosure.authorization-required", "45 CFR 164.508(a)(1)",
        "Denied because a disclosure for this purpose needs a valid HIPAA authorization naming the recipient, purpose and category, and none is on file.");

    // The rules behind the obligations of a permit, in the order of the Obligation enum.
    public static readonly PolicyRule RedisclosureNoticeObligation = Add(
        "obligation.redisclosure-notice", "42 CFR 2.32",
        "The disclosure must carry the notice prohibiting redisclosure, with a copy or the scope of the consent.");

    public static readonly PolicyRule AccountDisclosureObligation = Add(
        "obligation.account-disclosure", "45 CFR 164.528; 42 CFR 2.25",
        "The disclosure leaves the practice and must be recorded for the accounting of disclosures.");

    public static readonly PolicyRule BreakGlassReviewObligation = Add(
        "obligation.break-glass-review", "45 CFR 164.312(a)(2)(ii), 164.312(b)",
        "Break-the-glass access must be flagged in the audit trail and queued for the compliance officer's review.");

    public static readonly PolicyRule MaskFieldsObligation = Add(
        "obligation.minimum-necessary", "45 CFR 164.502(b), 164.514(d)",
        "Only the fields this role needs may be shown (minimum necessary).");

    /// <summary>Every rule, in evaluation order.</summary>
    public static IReadOnlyList<PolicyRule> All { get; } = s_all.AsReadOnly();

    /// <summary>The rule behind each obligation, indexed by <see cref="Obligation"/>.</summary>
    public static PolicyRule ForObligation(Obligation obligation) => obligation switch
    {
        Obligation.RedisclosureNotice => RedisclosureNoticeObligation,
        Obligation.AccountDisclosure => AccountDisclosureObligation,
        Obligation.BreakGlassReview => BreakGlassReviewObligation,
        _ => MaskFieldsObligation,
    };

    private static PolicyRule Add(string id, string citation, string explanation)
    {
        var rule = new PolicyRule(s_all.Count, id, citation, explanation);
        s_all.Add(rule);
        return rule;
    }
}
