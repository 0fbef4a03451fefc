using FsCheck.Fluent;
using Hipaa.Policy;
using static Hipaa.Tests.Policy.Requests;

namespace Hipaa.Tests.Policy;

/// <summary>Each rule of docs/policy.md with permit and deny examples, in evaluation order.</summary>
public sealed class PolicyEngineTests
{
    private static readonly PolicyEngine s_engine = PolicyEngine.Default;

    private static readonly PurposeOfUse Treat = PurposeOfUse.Treatment;

    // Rule 1: identity.
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Decide_ActorWithoutUniqueId_DeniedByUniqueUserRule(string? id)
    {
        AccessDecision decision = Decide(For(new Actor(id, [WellKnownRoles.Therapist], "practice", [Patient]), DataCategory.Demographics, PhiAction.Read, Treat));

        AssertDenied(decision, "identity.unique-user");
    }

    [Fact]
    public void Decide_SharedAccount_DeniedBySharedAccountRule()
    {
        var shared = new Actor("frontdesk-shared", [WellKnownRoles.FrontDesk], "practice", isShared: true);

        AssertDenied(Decide(For(shared, DataCategory.Appointment, PhiAction.Read, PurposeOfUse.Operations)), "identity.shared-account");
    }

    [Fact]
    public void Decide_SameRequestFromAUniqueUser_Permitted()
    {
        AssertPermitted(Decide(For(FrontDesk, DataCategory.Appointment, PhiAction.Read, PurposeOfUse.Operations)), "matrix.role-permission");
    }

    // Rule 1b: key maintenance.
    [Theory]
    [InlineData("PsychotherapyNote")]
    [InlineData("SudCounselingNote")]
    [InlineData("Demographics")]
    [InlineData("Referral")]
    public void Decide_ReencryptUnderSystemAdministration_PermittedForEveryCategoryWithoutARole(string category)
    {
        var job = new Actor("system:key-rotation", [], "practice");

        AssertPermitted(Decide(For(job, new DataCategory(category), PhiAction.Reencrypt, PurposeOfUse.SystemAdministration)), "maintenance.reencrypt");
    }

    [Fact]
    public void Decide_ReencryptForAnotherPurpose_DeniedEvenToARoleThatMayWriteTheRecord()
    {
        AssertDenied(Decide(For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Reencrypt, Treat)), "maintenance.purpose-required");
    }

    [Theory]
    [InlineData(PhiAction.Read)]
    [InlineData(PhiAction.Update)]
    [InlineData(PhiAction.Export)]
    public void Decide_SystemAdministrationForAnythingButReencrypt_DeniedByPurposeRule(PhiAction action)
    {
        var job = new Actor("system:key-rotation", [], "practice");

        AssertDenied(Decide(For(job, DataCategory.Demographics, action, PurposeOfUse.SystemAdministration)), "purpose.role-fit");
        AssertDenied(Decide(For(Therapist(Patient), DataCategory.ProgressNote, action, PurposeOfUse.SystemAdministration)), "purpose.role-fit");
    }

    [Fact]
    public void Decide_ReencryptByAnUnidentifiedOrSharedActor_DeniedByIdentityFirst()
    {
        AssertDenied(Decide(For(new Actor(null, [], "practice"), DataCategory.Demographics, PhiAction.Reencrypt, PurposeOfUse.SystemAdministration)), "identity.unique-user");
        AssertDenied(Decide(For(new Actor("ops", [], "practice", isShared: true), DataCategory.Demographics, PhiAction.Reencrypt, PurposeOfUse.SystemAdministration)), "identity.shared-account");
    }

    [Fact]
    public void Reencrypt_IsNotGrantableInACatalog()
    {
        var changes = new RoleCatalogChanges();
        var grant = new RoleGrantChange { Role = WellKnownRoles.Nurse, Category = "Demographics" };
        grant.Actions.Add("Reencrypt");
        changes.Grant.Add(grant);

        Assert.Contains(changes.ApplyTo(RoleCatalog.CreateDefault()), p => p.Contains("'Reencrypt'", StringComparison.Ordinal));
        Assert.Throws<ArgumentOutOfRangeException>(() => RoleCatalog.CreateDefault().AllowPurpose(WellKnownRoles.Nurse, PurposeOfUse.SystemAdministration, PhiAction.Reencrypt));
    }

    // Rule 2: purpose fits the role.
    [Fact]
    public void Decide_BillingActingForTreatment_DeniedByPurposeRule()
    {
        AssertDenied(Decide(For(Billing, DataCategory.Claim, PhiAction.Read, Treat)), "purpose.role-fit");
    }

    [Fact]
    public void Decide_ClinicianReadingForResearch_DeniedBecauseResearchIsForDisclosuresOnly()
    {
        AssertDenied(Decide(For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Read, PurposeOfUse.Research)), "purpose.role-fit");
    }

    [Fact]
    public void Decide_ClinicianDisclosingForResearch_PassesThePurposeRuleAndNeedsAnAuthorization()
    {
        AssertDenied(
            Decide(For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Export, PurposeOfUse.Research, recipient: "univ-lab")),
            "disclosure.authorization-required");
    }

    [Fact]
    public void Decide_RoleUnknownToTheCatalog_DeniedByPurposeRule()
    {
        AssertDenied(Decide(For(Staff("Researcher", "u9", Patient), DataCategory.ProgressNote, PhiAction.Read, Treat)), "purpose.role-fit");
    }

    [Fact]
    public void Decide_ExternalProviderReading_DeniedBecauseItHasNoPurpose()
    {
        var external = new Actor("u-ext", [WellKnownRoles.ExternalProvider], "org-hospital", [Patient]);

        AssertDenied(Decide(For(external, DataCategory.ProgressNote, PhiAction.Read, Treat)), "purpose.role-fit");
    }

    [Fact]
    public void Decide_TwoRoles_TheRoleThatFitsThePurposeDecides()
    {
        var both = new Actor("u-tb", [WellKnownRoles.Billing, WellKnownRoles.Therapist], "practice", [Patient]);

        AssertPermitted(Decide(For(both, DataCategory.ProgressNote, PhiAction.Read, Treat)), "matrix.role-permission");
        AssertDenied(Decide(For(both, DataCategory.ProgressNote, PhiAction.Read, PurposeOfUse.Payment)), "matrix.not-permitted");
    }

    // Rule 3: the patient's own record.
    [Fact]
    public void Decide_PatientReadsOwnProgressNote_PermittedWithoutObligations()
    {
        AssertPermitted(Decide(For(ThePatient, DataCategory.ProgressNote, PhiAction.Read, PurposeOfUse.PatientRequest)), "patient.right-of-access");
    }

    [Fact]
    public void Decide_PatientReadsOwnPart2Record_PermittedWithoutObligations()
    {
        AccessDecision decision = Decide(For(ThePatient, DataCategory.Diagnosis, PhiAction.Read, PurposeOfUse.PatientRequest, labels: [SensitivityLabel.SubstanceUseDisorder]));

        AssertPermitted(decision, "patient.right-of-access");
    }

    [Fact]
    public void Decide_PatientReadsAnotherPatientsRecord_Denied()
    {
        AssertDenied(Decide(For(ThePatient, DataCategory.ProgressNote, PhiAction.Read, PurposeOfUse.PatientRequest, patient: "p2")), "patient.own-record-only");
    }

    [Theory]
    [InlineData("PsychotherapyNote")]
    [InlineData("SudCounselingNote")]
    public void Decide_PatientReadsOwnSeparatelyKeptNote_DeniedAsExcludedFromRightOfAccess(string category)
    {
        AssertDenied(Decide(For(ThePatient, new DataCategory(category), PhiAction.Read, PurposeOfUse.PatientRequest, author: "u-ther-1")), "patient.notes-excluded");
    }

    [Theory]
    [InlineData(PhiAction.Update)]
    [InlineData(PhiAction.Delete)]
    [InlineData(PhiAction.Disclose)]
    public void Decide_PatientChangesOrDisclosesOwnRecord_Denied(PhiAction action)
    {
        AssertDenied(Decide(For(ThePatient, DataCategory.Demographics, action, PurposeOfUse.PatientRequest, recipient: "someone")), "patient.read-only");
    }

    [Fact]
    public void Decide_PatientReadsOwnAuditLog_DeniedAsNotOfferedToPatients()
    {
        AssertDenied(Decide(For(ThePatient, DataCategory.AuditLog, PhiAction.Read, PurposeOfUse.PatientRequest)), "patient.category-not-available");
    }

    [Fact]
    public void Decide_PersonalRepresentativeReadsTheRepresentedPatientsPart2Record_PermittedAsTheIndividualWithoutObligations()
    {
        AccessDecision decision = Decide(For(Representative, DataCategory.ProgressNote, PhiAction.Read, PurposeOfUse.PatientRequest, labels: [SensitivityLabel.SubstanceUseDisorder]));

        AssertPermitted(decision, "patient.personal-representative");
        Assert.Empty(decision.Obligations);
    }

    [Fact]
    public void Decide_PersonalRepresentativeReadsTheirOwnRecord_PermittedAsThePatient()
    {
        var parentWhoIsAlsoAPatient = new Actor("p9", [WellKnownRoles.Patient], "practice", representativeOf: [Patient]);

        AssertPermitted(Decide(For(parentWhoIsAlsoAPatient, DataCategory.Demographics, PhiAction.Read, PurposeOfUse.PatientRequest, patient: "p9")), "patient.right-of-access");
    }

    [Theory]
    [InlineData("PsychotherapyNote")]
    [InlineData("SudCounselingNote")]
    public void Decide_PersonalRepresentativeReadsTheRepresentedPatientsNote_DeniedAsExcludedFromRightOfAccess(string category)
    {
        AssertDenied(Decide(For(Representative, new DataCategory(category), PhiAction.Read, PurposeOfUse.PatientRequest, author: "u-ther-1")), "patient.notes-excluded");
    }

    [Fact]
    public void Decide_PersonalRepresentativeOfOnePatientReadsAnother_Denied()
    {
        AssertDenied(Decide(For(Representative, DataCategory.ProgressNote, PhiAction.Read, PurposeOfUse.PatientRequest, patient: "p2")), "patient.own-record-only");
    }

    [Fact]
    public void Decide_PersonalRepresentativeUpdatesTheRepresentedPatientsRecord_DeniedAsReadOnly()
    {
        AssertDenied(Decide(For(Representative, DataCategory.Demographics, PhiAction.Update, PurposeOfUse.PatientRequest)), "patient.read-only");
    }

    [Fact]
    public void Decide_RepresentationWithoutAPatientRole_OpensNothing()
    {
        var clinician = new Actor("u-ther-7", [WellKnownRoles.Therapist], "practice", representativeOf: [Patient]);

        AssertDenied(Decide(For(clinician, DataCategory.ProgressNote, PhiAction.Read, PurposeOfUse.PatientRequest)), "purpose.role-fit");
        AssertDenied(Decide(For(clinician, DataCategory.ProgressNote, PhiAction.Read, Treat)), "matrix.care-team-required");
    }

    // Rule 4: psychotherapy notes and SUD counseling notes.
    [Fact]
    public void Decide_AuthorReadsOwnPsychotherapyNote_PermittedWithoutCareTeam()
    {
        AssertPermitted(Decide(For(Therapist(), DataCategory.PsychotherapyNote, PhiAction.Read, Treat, author: "u-ther-1")), "notes.author-use");
    }

    [Fact]
    public void Decide_AuthorCreatesPsychotherapyNoteWithoutAuthorIdYet_PermittedAsTheirOwn()
    {
        AssertPermitted(Decide(For(Therapist(Patient), DataCategory.PsychotherapyNote, PhiAction.Create, Treat)), "notes.author-use");
    }

    [Fact]
    public void Decide_AuthorUpdatesSudCounselingNoteForCoordinationOfCare_Permitted()
    {
        AssertPermitted(Decide(For(Psychiatrist(Patient), DataCategory.SudCounselingNote, PhiAction.Update, PurposeOfUse.CoordinationOfCare, author: "u-psy-1")), "notes.author-use");
    }

    [Fact]
    public void Decide_NurseAuthorOfPsychotherapyNote_DeniedBecauseTheMatrixGivesNursesNoNotes()
    {
        AssertDenied(Decide(For(Nurse(Patient), DataCategory.PsychotherapyNote, PhiAction.Read, Treat, author: "u-nurse-1")), "notes.authorization-required");
    }

    [Fact]
    public void Decide_OtherClinicianReadsPsychotherapyNote_DeniedWithoutAuthorization()
    {
        AssertDenied(Decide(For(Psychiatrist(Patient), DataCategory.PsychotherapyNote, PhiAction.Read, Treat, author: "u-ther-1")), "notes.authorization-required");
    }

    [Fact]
    public void Decide_OtherClinicianReadsPsychotherapyNoteUnderAuthorization_PermittedAndNamesTheAuthorization()
    {
        Consent authorization = ConsentOf(ConsentKind.PsychotherapyAuthorization, recipient: "practice", category: "PsychotherapyNote", id: "a1");

        AccessDecision decision = Decide(For(Psychiatrist(Patient), DataCategory.PsychotherapyNote, PhiAction.Read, Treat, author: "u-ther-1", consents: [authorization]));

        AssertPermitted(decision, "notes.authorization");
        Assert.Equal("a1", decision.ConsentId);
    }

    [Theory]
    [InlineData("org-other", "TREAT", "PsychotherapyNote")]
    [InlineData("practice", "HPAYMT", "PsychotherapyNote")]
    [InlineData("practice", "TREAT", "ProgressNote")]
    public void Decide_PsychotherapyAuthorizationNotNamingRecipientPurposeAndCategory_Denied(string recipient, string purpose, string category)
    {
        Consent authorization = ConsentOf(ConsentKind.PsychotherapyAuthorization, recipient, purpose, category);

        AssertDenied(Decide(For(Psychiatrist(Patient), DataCategory.PsychotherapyNote, PhiAction.Read, Treat, author: "u-ther-1", consents: [authorization])), "notes.authorization-required");
    }

    [Fact]
    public void Decide_PsychotherapyAuthorizationRevokedBeforeTheRequest_Denied()
    {
        Consent revoked = ConsentOf(ConsentKind.PsychotherapyAuthorization, "practice", revokedAt: At.AddDays(-1));

        AssertDenied(Decide(For(Psychiatrist(Patient), DataCategory.PsychotherapyNote, PhiAction.Read, Treat, author: "u-ther-1", consents: [revoked])), "notes.authorization-required");
    }

    [Fact]
    public void Decide_GeneralHipaaAuthorization_DoesNotReachPsychotherapyNotes()
    {
        Consent general = ConsentOf(ConsentKind.HipaaAuthorization, Consent.AnyRecipient);

        AssertDenied(Decide(For(Psychiatrist(Patient), DataCategory.PsychotherapyNote, PhiAction.Read, Treat, author: "u-ther-1", consents: [general])), "notes.authorization-required");
    }

    [Fact]
    public void Decide_PsychotherapyNoteDisclosedUnderAuthorizationNamingTheRecipient_PermittedAndAccounted()
    {
        Consent authorization = ConsentOf(ConsentKind.PsychotherapyAuthorization, "org-hospital", category: "PsychotherapyNote");

        AccessDecision decision = Decide(For(Therapist(Patient), DataCategory.PsychotherapyNote, PhiAction.Disclose, Treat, author: "u-psy-1", recipient: "org-hospital", consents: [authorization]));

        AssertPermitted(decision, "notes.authorization", Obligation.AccountDisclosure);
    }

    [Fact]
    public void Decide_SupervisorReadsPsychotherapyNoteForSupervisedTraining_Permitted()
    {
        AssertPermitted(Decide(For(Supervisor(), DataCategory.PsychotherapyNote, PhiAction.Read, PurposeOfUse.Training, author: "u-ther-1")), "notes.supervised-training");
    }

    [Fact]
    public void Decide_TherapistClaimsSupervisedTraining_DeniedBecauseOnlySupervisorsHaveThatPurpose()
    {
        AssertDenied(Decide(For(Therapist(Patient), DataCategory.PsychotherapyNote, PhiAction.Read, PurposeOfUse.Training, author: "u-psy-1")), "purpose.role-fit");
    }

    [Fact]
    public void Decide_ComplianceOfficerDisclosesPsychotherapyNoteToHhs_PermittedAndAccounted()
    {
        AccessDecision decision = Decide(For(Compliance, DataCategory.PsychotherapyNote, PhiAction.Disclose, PurposeOfUse.Oversight, author: "u-ther-1", recipient: "HHS"));

        AssertPermitted(decision, "notes.oversight", Obligation.AccountDisclosure);
    }

    [Fact]
    public void Decide_ComplianceOfficerDisclosesPsychotherapyNoteToCourt_Denied()
    {
        AssertDenied(
            Decide(For(Compliance, DataCategory.PsychotherapyNote, PhiAction.Disclose, PurposeOfUse.Legal, author: "u-ther-1", recipient: "court", courtOrder: new CourtOrder(CourtOrderKind.Hipaa))),
            "notes.authorization-required");
    }

    [Fact]
    public void Decide_BillingWithPsychotherapyAuthorization_DeniedBecauseNotesNeverGoToBilling()
    {
        Consent authorization = ConsentOf(ConsentKind.PsychotherapyAuthorization, Consent.AnyRecipient, "HPAYMT");

        AssertDenied(Decide(For(Billing, DataCategory.PsychotherapyNote, PhiAction.Read, PurposeOfUse.Payment, author: "u-ther-1", consents: [authorization])), "notes.never-billing");
    }

    [Fact]
    public void Decide_BreakTheGlassForPsychotherapyNote_Denied()
    {
        AssertDenied(Decide(For(Psychiatrist(), DataCategory.PsychotherapyNote, PhiAction.Read, PurposeOfUse.EmergencyTreatment, author: "u-ther-1", reason: Reason)), "notes.no-break-glass");
    }

    [Fact]
    public void Decide_AuthorDeletesOwnPsychotherapyNote_Denied()
    {
        AssertDenied(Decide(For(Therapist(Patient), DataCategory.PsychotherapyNote, PhiAction.Delete, Treat, author: "u-ther-1")), "notes.no-delete");
    }

    [Fact]
    public void Decide_SudCounselingNoteUnderItsSeparateConsent_PermittedWithRedisclosureNotice()
    {
        Consent consent = ConsentOf(ConsentKind.SudCounselingNoteConsent, "org-hospital", category: "SudCounselingNote", id: "s1");

        AccessDecision decision = Decide(For(
            Therapist(Patient), DataCategory.SudCounselingNote, PhiAction.Disclose, Treat,
            labels: [SensitivityLabel.SubstanceUseDisorder], author: "u-psy-1", recipient: "org-hospital", consents: [consent]));

        AssertPermitted(decision, "notes.authorization", Obligation.RedisclosureNotice, Obligation.AccountDisclosure);
        Assert.Equal("s1", decision.ConsentId);
    }

    [Fact]
    public void Decide_SudCounselingNoteUnderGeneralPart2Consent_Denied()
    {
        Consent consent = ConsentOf(ConsentKind.Part2, "org-hospital");

        AssertDenied(
            Decide(For(Therapist(Patient), DataCategory.SudCounselingNote, PhiAction.Disclose, Treat, labels: [SensitivityLabel.SubstanceUseDisorder], author: "u-psy-1", recipient: "org-hospital", consents: [consent])),
            "notes.authorization-required");
    }

    [Fact]
    public void Decide_SudCounselingNoteDisclosedUnderAPsychotherapyAuthorization_DeniedBecauseItNeedsItsOwnConsent()
    {
        // 42 CFR 2.31(b): an SUD counseling note leaves only under the consent that names it, never under the HIPAA
        // authorization for psychotherapy notes, however broadly that authorization is written.
        Consent authorization = ConsentOf(ConsentKind.PsychotherapyAuthorization, Consent.AnyRecipient, category: "*");

        AssertDenied(
            Decide(For(
                Therapist(Patient), DataCategory.SudCounselingNote, PhiAction.Disclose, Treat,
                labels: [SensitivityLabel.SubstanceUseDisorder], author: "u-psy-1", recipient: "org-hospital", consents: [authorization])),
            "notes.authorization-required");
    }

    [Theory]
    [InlineData(PhiAction.Read, "practice")]
    [InlineData(PhiAction.Export, "org-hospital")]
    public void Decide_SudCounselingNoteUnderAPsychotherapyAuthorizationNamingIt_Denied(PhiAction action, string recipient)
    {
        Consent authorization = ConsentOf(ConsentKind.PsychotherapyAuthorization, recipient, category: "SudCounselingNote");

        AssertDenied(
            Decide(For(Psychiatrist(Patient), DataCategory.SudCounselingNote, action, Treat, author: "u-ther-1", recipient: action == PhiAction.Read ? null : recipient, consents: [authorization])),
            "notes.authorization-required");
    }

    [Theory]
    [InlineData("PsychotherapyNote", ConsentKind.SudCounselingNoteConsent)]
    [InlineData("PsychotherapyNote", ConsentKind.Part2)]
    [InlineData("PsychotherapyNote", ConsentKind.Part2Tpo)]
    [InlineData("PsychotherapyNote", ConsentKind.HipaaAuthorization)]
    [InlineData("SudCounselingNote", ConsentKind.Part2Tpo)]
    [InlineData("SudCounselingNote", ConsentKind.HipaaAuthorization)]
    public void Decide_NoteUnderAConsentOfAnotherKind_Denied(string category, ConsentKind kind)
    {
        Consent consent = ConsentOf(kind, Consent.AnyRecipient, category: "*");

        AssertDenied(
            Decide(For(Psychiatrist(Patient), new DataCategory(category), PhiAction.Read, Treat, author: "u-ther-1", consents: [consent])),
            "notes.authorization-required");
    }

    [Fact]
    public void Decide_SudCounselingNoteReadInsideThePracticeUnderItsConsent_PermittedWithoutObligations()
    {
        Consent consent = ConsentOf(ConsentKind.SudCounselingNoteConsent, "practice", category: "SudCounselingNote", id: "s2");

        AccessDecision decision = Decide(For(
            Psychiatrist(Patient), DataCategory.SudCounselingNote, PhiAction.Read, Treat, labels: [SensitivityLabel.SubstanceUseDisorder], author: "u-ther-1", consents: [consent]));

        AssertPermitted(decision, "notes.authorization");
        Assert.Equal("s2", decision.ConsentId);
    }

    [Fact]
    public void Decide_BothKindsOnFile_EachNoteOpensOnlyUnderItsOwn()
    {
        Consent[] consents =
        [
            ConsentOf(ConsentKind.PsychotherapyAuthorization, "org-hospital", id: "a-psy"),
            ConsentOf(ConsentKind.SudCounselingNoteConsent, "org-hospital", id: "a-sud"),
        ];

        AccessDecision psychotherapy = Decide(For(Therapist(Patient), DataCategory.PsychotherapyNote, PhiAction.Disclose, Treat, author: "u-psy-1", recipient: "org-hospital", consents: consents));
        AccessDecision sud = Decide(For(
            Therapist(Patient), DataCategory.SudCounselingNote, PhiAction.Disclose, Treat, labels: [SensitivityLabel.SubstanceUseDisorder], author: "u-psy-1", recipient: "org-hospital", consents: consents));

        Assert.Equal(("a-psy", "a-sud"), (psychotherapy.ConsentId, sud.ConsentId));
        AssertPermitted(psychotherapy, "notes.authorization", Obligation.AccountDisclosure);
        AssertPermitted(sud, "notes.authorization", Obligation.RedisclosureNotice, Obligation.AccountDisclosure);
    }

    [Fact]
    public void Decide_RoleGivenTheTrainingPurposeByThePractice_DoesNotReadNotesForTraining()
    {
        // The configuration example of RoleCatalogChanges: a practice lets nurses act for HTRAIN. That lets them take part in
        // training; the supervised-training exception for the notes stays the clinical supervisor's (164.508(a)(2)(i)(B)).
        RoleCatalog catalog = RoleCatalog.CreateDefault().AllowPurpose(WellKnownRoles.Nurse, PurposeOfUse.Training);
        var engine = new PolicyEngine(catalog);

        AssertDenied(engine.Decide(For(Nurse(Patient), DataCategory.PsychotherapyNote, PhiAction.Read, PurposeOfUse.Training, author: "u-ther-1")), "notes.authorization-required");
        AssertDenied(engine.Decide(For(Nurse(Patient), DataCategory.SudCounselingNote, PhiAction.Read, PurposeOfUse.Training, author: "u-ther-1")), "notes.authorization-required");
        AssertPermitted(engine.Decide(For(Supervisor(), DataCategory.PsychotherapyNote, PhiAction.Read, PurposeOfUse.Training, author: "u-ther-1")), "notes.supervised-training");
    }

    [Theory]
    [InlineData(WellKnownRoles.FrontDesk)]
    [InlineData(WellKnownRoles.Therapist)]
    public void Decide_RoleGivenTheOversightPurposeByThePractice_DoesNotDiscloseNotesToHhs(string role)
    {
        RoleCatalog catalog = RoleCatalog.CreateDefault().AllowPurpose(role, PurposeOfUse.Oversight);
        var engine = new PolicyEngine(catalog);

        AssertDenied(
            engine.Decide(For(Staff(role, "u-x", Patient), DataCategory.PsychotherapyNote, PhiAction.Disclose, PurposeOfUse.Oversight, author: "u-ther-1", recipient: "HHS")),
            "notes.authorization-required");
        AssertPermitted(
            engine.Decide(For(Compliance, DataCategory.PsychotherapyNote, PhiAction.Disclose, PurposeOfUse.Oversight, author: "u-ther-1", recipient: "HHS")),
            "notes.oversight",
            Obligation.AccountDisclosure);
    }

    [Fact]
    public void Decide_PracticeRoleWithTheTrainingAndOversightTraits_UsesTheExceptions()
    {
        RoleCatalog catalog = RoleCatalog.CreateDefault()
            .DefineRole("LeadClinician", RoleTraits.Clinical | RoleTraits.RequiresCareTeam | RoleTraits.TrainingSupervisor)
            .AllowPurpose("LeadClinician", PurposeOfUse.Training)
            .DefineRole("PrivacyOfficer", RoleTraits.ComplianceOfficer)
            .AllowPurpose("PrivacyOfficer", PurposeOfUse.Oversight);
        var engine = new PolicyEngine(catalog);

        AssertPermitted(engine.Decide(For(Staff("LeadClinician", "u-lead"), DataCategory.SudCounselingNote, PhiAction.Read, PurposeOfUse.Training, author: "u-ther-1")), "notes.supervised-training");
        AssertPermitted(
            engine.Decide(For(Staff("PrivacyOfficer", "u-po"), DataCategory.SudCounselingNote, PhiAction.Export, PurposeOfUse.Oversight, author: "u-ther-1", recipient: "HHS")),
            "notes.oversight",
            Obligation.AccountDisclosure);
    }

    [Theory]
    [InlineData(WellKnownRoles.Billing)]
    [InlineData(WellKnownRoles.FrontDesk)]
    public void Decide_SupervisorWhoAlsoHoldsAnotherRole_ReadsForTrainingAsTheSupervisor(string other)
    {
        var both = new Actor("u-cs-2", [other, WellKnownRoles.ClinicalSupervisor], "practice");

        AssertPermitted(Decide(For(both, DataCategory.PsychotherapyNote, PhiAction.Read, PurposeOfUse.Training, author: "u-ther-1")), "notes.supervised-training");
    }

    [Fact]
    public void Decide_TherapistWhoAlsoHoldsBilling_ReadsOwnNoteAsTherapistButNeverForPayment()
    {
        var both = new Actor("u-tb", [WellKnownRoles.Billing, WellKnownRoles.Therapist], "practice");
        Consent authorization = ConsentOf(ConsentKind.PsychotherapyAuthorization, Consent.AnyRecipient, "HPAYMT");

        AssertPermitted(Decide(For(both, DataCategory.PsychotherapyNote, PhiAction.Read, Treat, author: "u-tb")), "notes.author-use");
        AssertDenied(Decide(For(both, DataCategory.PsychotherapyNote, PhiAction.Read, PurposeOfUse.Payment, author: "u-tb", consents: [authorization])), "notes.never-billing");
    }

    [Fact]
    public void Decide_BillingExportsDiagnosisToPayer_PermittedMaskedAndAccounted()
    {
        AccessDecision decision = Decide(For(Billing, DataCategory.Diagnosis, PhiAction.Export, PurposeOfUse.Payment, recipient: "payer-acme"));

        AssertPermitted(decision, "disclosure.treatment-payment-operations", Obligation.AccountDisclosure, Obligation.MaskFields);
        Assert.NotNull(decision.FieldMask);
    }

    // Rule 5: break-the-glass.
    [Fact]
    public void Decide_BreakTheGlassOutsideTheCareTeam_PermittedWithReview()
    {
        AccessDecision decision = Decide(For(Therapist(), DataCategory.ProgressNote, PhiAction.Read, PurposeOfUse.EmergencyTreatment, reason: Reason));

        AssertPermitted(decision, "break-glass.emergency-access", Obligation.BreakGlassReview);
    }

    [Fact]
    public void Decide_BreakTheGlassForACategoryAnotherClinicalRoleReads_PermittedWithReview()
    {
        AccessDecision decision = Decide(For(Therapist(Patient), DataCategory.Medication, PhiAction.Read, PurposeOfUse.EmergencyTreatment, reason: Reason));

        AssertPermitted(decision, "break-glass.emergency-access", Obligation.BreakGlassReview);
    }

    [Fact]
    public void Decide_BreakTheGlassInsideTheCareTeam_PermittedByTheMatrixWithReview()
    {
        AssertPermitted(Decide(For(Nurse(Patient), DataCategory.Medication, PhiAction.Read, PurposeOfUse.EmergencyTreatment, reason: Reason)), "matrix.role-permission", Obligation.BreakGlassReview);
    }

    [Fact]
    public void Decide_BreakTheGlassWriteOutsideTheCareTeam_PermittedForWhatTheRoleMayWrite()
    {
        AssertPermitted(Decide(For(Therapist(), DataCategory.ProgressNote, PhiAction.Create, PurposeOfUse.EmergencyTreatment, reason: Reason)), "break-glass.emergency-access", Obligation.BreakGlassReview);
        AssertDenied(Decide(For(Therapist(), DataCategory.Medication, PhiAction.Create, PurposeOfUse.EmergencyTreatment, reason: Reason)), "matrix.not-permitted");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Decide_BreakTheGlassWithoutReason_Denied(string? reason)
    {
        AssertDenied(Decide(For(Therapist(), DataCategory.ProgressNote, PhiAction.Read, PurposeOfUse.EmergencyTreatment, reason: reason)), "break-glass.reason-required");
    }

    [Fact]
    public void Decide_BreakTheGlassForClaims_DeniedBecauseNoClinicalRoleReadsThem()
    {
        AssertDenied(Decide(For(Therapist(), DataCategory.Claim, PhiAction.Read, PurposeOfUse.EmergencyTreatment, reason: Reason)), "matrix.not-permitted");
    }

    [Fact]
    public void Decide_BreakTheGlassByNonClinicalRole_Denied()
    {
        RoleCatalog catalog = RoleCatalog.CreateDefault().AllowPurpose(WellKnownRoles.FrontDesk, PurposeOfUse.EmergencyTreatment);

        AssertDenied(new PolicyEngine(catalog).Decide(For(FrontDesk, DataCategory.Demographics, PhiAction.Read, PurposeOfUse.EmergencyTreatment, reason: Reason)), "break-glass.clinical-role-required");
        AssertDenied(Decide(For(FrontDesk, DataCategory.Demographics, PhiAction.Read, PurposeOfUse.EmergencyTreatment, reason: Reason)), "purpose.role-fit");
    }

    // Rule 6: the role matrix.
    [Fact]
    public void Decide_TherapistReadsProgressNoteButNotPrescriptions_MatrixDecides()
    {
        AssertPermitted(Decide(For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Read, Treat)), "matrix.role-permission");
        AssertDenied(Decide(For(Therapist(Patient), DataCategory.Medication, PhiAction.Read, Treat)), "matrix.not-permitted");
    }

    [Fact]
    public void Decide_ClinicianOutsideTheCareTeam_Denied()
    {
        AssertDenied(Decide(For(Psychiatrist("p2"), DataCategory.Medication, PhiAction.Read, Treat)), "matrix.care-team-required");
    }

    [Fact]
    public void Decide_FrontDeskNeedsNoCareTeam_Permitted()
    {
        AssertPermitted(Decide(For(FrontDesk, DataCategory.Appointment, PhiAction.Delete, PurposeOfUse.Operations)), "matrix.role-permission");
        AssertDenied(Decide(For(Therapist(Patient), DataCategory.Appointment, PhiAction.Delete, Treat)), "matrix.not-permitted");
    }

    [Fact]
    public void Decide_BillingReadsDiagnosis_PermittedWithFieldMaskOfCodes()
    {
        AccessDecision decision = Decide(For(Billing, DataCategory.Diagnosis, PhiAction.Read, PurposeOfUse.Payment));

        AssertPermitted(decision, "matrix.role-permission", Obligation.MaskFields);
        Assert.NotNull(decision.FieldMask);
        Assert.True(decision.FieldMask.IsVisible("code"));
        Assert.False(decision.FieldMask.IsVisible("Narrative"));
    }

    [Fact]
    public void Decide_ClinicianReadsDiagnosis_PermittedWithoutMask()
    {
        AccessDecision decision = Decide(For(Therapist(Patient), DataCategory.Diagnosis, PhiAction.Read, Treat));

        AssertPermitted(decision, "matrix.role-permission");
        Assert.Null(decision.FieldMask);
    }

    [Fact]
    public void Decide_ComplianceOfficerReadsAuditLogButNoClinicalRecord_MatrixDecides()
    {
        AssertPermitted(Decide(For(Compliance, DataCategory.AuditLog, PhiAction.Read, PurposeOfUse.Operations)), "matrix.role-permission");
        AssertDenied(Decide(For(Compliance, DataCategory.ProgressNote, PhiAction.Read, PurposeOfUse.Oversight)), "matrix.not-permitted");
    }

    [Fact]
    public void Decide_CategoryUnknownToTheCatalog_DeniedByDefault()
    {
        AssertDenied(Decide(For(Therapist(Patient), new DataCategory("Referral"), PhiAction.Read, Treat)), "default.unknown-category");
    }

    [Fact]
    public void Decide_DisclosureInsideThePractice_FollowsTheMatrixAloneWithoutObligations()
    {
        AccessRequest part2Internal = For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Disclose, Treat, labels: [SensitivityLabel.SubstanceUseDisorder], recipient: "practice");
        AccessRequest noRecipient = For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Export, Treat, labels: [SensitivityLabel.SubstanceUseDisorder]);

        AssertPermitted(Decide(part2Internal), "matrix.role-permission");
        AssertPermitted(Decide(noRecipient), "matrix.role-permission");
        AssertDenied(Decide(For(Nurse(Patient), DataCategory.ProgressNote, PhiAction.Disclose, Treat, recipient: "practice")), "matrix.not-permitted");
    }

    // Rule 7: disclosures outside the practice, 42 CFR Part 2.
    [Fact]
    public void Decide_Part2RecordUnderConsentNamingRecipient_PermittedWithNoticeAndAccounting()
    {
        AccessDecision decision = Decide(Part2Disclosure(ConsentOf(ConsentKind.Part2, "org-hospital", id: "c7")));

        AssertPermitted(decision, "disclosure.part2-consent", Obligation.RedisclosureNotice, Obligation.AccountDisclosure);
        Assert.Equal("c7", decision.ConsentId);
    }

    [Fact]
    public void Decide_Part2RecordUnderConsentNamingAnyRecipient_Permitted()
    {
        AssertPermitted(Decide(Part2Disclosure(ConsentOf(ConsentKind.Part2, Consent.AnyRecipient))), "disclosure.part2-consent", Obligation.RedisclosureNotice, Obligation.AccountDisclosure);
    }

    [Fact]
    public void Decide_Part2RecordWithoutConsent_Denied()
    {
        AssertDenied(Decide(Part2Disclosure()), "disclosure.part2-consent-required");
    }

    [Theory]
    [InlineData("org-other", "TREAT", "*", null, null, null)]
    [InlineData("org-hospital", "COC", "*", null, null, null)]
    [InlineData("org-hospital", "TREAT", "Diagnosis", null, null, null)]
    [InlineData("org-hospital", "TREAT", "*", 1, null, null)]
    [InlineData("org-hospital", "TREAT", "*", null, 0, null)]
    [InlineData("org-hospital", "TREAT", "*", null, null, 0)]
    [InlineData("org-hospital", "TREAT", "*", null, null, -5)]
    public void Decide_Part2ConsentNotCoveringTheRequest_Denied(string recipient, string purpose, string category, int? startsInDays, int? endsInDays, int? revokedInDays)
    {
        Consent consent = ConsentOf(
            ConsentKind.Part2, recipient, purpose, category,
            from: startsInDays is { } s ? At.AddDays(s) : null,
            until: endsInDays is { } e ? At.AddDays(e) : null,
            revokedAt: revokedInDays is { } r ? At.AddDays(r) : null);

        AssertDenied(Decide(Part2Disclosure(consent)), "disclosure.part2-consent-required");
    }

    [Fact]
    public void Decide_Part2ConsentRevokedAfterTheRequest_StillPermitsTheEarlierRequest()
    {
        AssertPermitted(Decide(Part2Disclosure(ConsentOf(ConsentKind.Part2, "org-hospital", revokedAt: At.AddTicks(1)))), "disclosure.part2-consent", Obligation.RedisclosureNotice, Obligation.AccountDisclosure);
    }

    [Fact]
    public void Decide_AnotherPatientsPart2Consent_Ignored()
    {
        AssertDenied(Decide(Part2Disclosure(ConsentOf(ConsentKind.Part2, "org-hospital", patient: "p2"))), "disclosure.part2-consent-required");
    }

    [Fact]
    public void Decide_Part2ClaimToPayerUnderTpoConsent_PermittedWithNotice()
    {
        AccessRequest request = For(Billing, DataCategory.Claim, PhiAction.Disclose, PurposeOfUse.Payment, labels: [SensitivityLabel.SubstanceUseDisorder], recipient: "payer-acme", consents: [ConsentOf(ConsentKind.Part2Tpo, Consent.AnyRecipient, "HPAYMT")]);

        AssertPermitted(Decide(request), "disclosure.part2-tpo-consent", Obligation.RedisclosureNotice, Obligation.AccountDisclosure);
    }

    [Fact]
    public void Decide_TpoConsentNamingResearch_DoesNotCoverResearch()
    {
        AccessRequest request = For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Export, PurposeOfUse.Research, labels: [SensitivityLabel.SubstanceUseDisorder], recipient: "univ-lab", consents: [ConsentOf(ConsentKind.Part2Tpo, Consent.AnyRecipient, "HRESCH")]);

        AssertDenied(Decide(request), "disclosure.part2-consent-required");
    }

    [Fact]
    public void Decide_Part2RecordUnderPart2CourtOrder_PermittedWithNotice()
    {
        AccessRequest request = For(Compliance, DataCategory.Diagnosis, PhiAction.Disclose, PurposeOfUse.Legal, labels: [SensitivityLabel.SubstanceUseDisorder], recipient: "court", courtOrder: new CourtOrder(CourtOrderKind.Part2, [SensitivityLabel.SubstanceUseDisorder]));

        AssertPermitted(Decide(request), "disclosure.part2-court-order", Obligation.RedisclosureNotice, Obligation.AccountDisclosure);
    }

    [Theory]
    [InlineData(CourtOrderKind.Hipaa, true)]
    [InlineData(CourtOrderKind.Part2, false)]
    public void Decide_Part2RecordUnderCourtOrderNotMeeting264_Denied(CourtOrderKind kind, bool coversSud)
    {
        var order = new CourtOrder(kind, coversSud ? [SensitivityLabel.SubstanceUseDisorder] : [SensitivityLabel.Hiv]);
        AccessRequest request = For(Compliance, DataCategory.Diagnosis, PhiAction.Disclose, PurposeOfUse.Legal, labels: [SensitivityLabel.SubstanceUseDisorder], recipient: "court", courtOrder: order);

        AssertDenied(Decide(request), "disclosure.part2-consent-required");
    }

    [Fact]
    public void Decide_Part2RecordInMedicalEmergency_PermittedWithReviewAndAccountingButNoNotice()
    {
        AccessRequest request = For(Therapist(), DataCategory.ProgressNote, PhiAction.Disclose, PurposeOfUse.EmergencyTreatment, labels: [SensitivityLabel.SubstanceUseDisorder], recipient: "org-er", reason: Reason);

        AssertPermitted(Decide(request), "disclosure.part2-emergency", Obligation.AccountDisclosure, Obligation.BreakGlassReview);
    }

    [Fact]
    public void Decide_Part2RecordToHhsWithoutConsent_Denied()
    {
        AccessRequest request = For(Compliance, DataCategory.Diagnosis, PhiAction.Disclose, PurposeOfUse.Oversight, labels: [SensitivityLabel.SubstanceUseDisorder], recipient: "HHS");

        AssertDenied(Decide(request), "disclosure.part2-consent-required");
    }

    [Fact]
    public void Decide_SeveralQualifyingConsents_NamesTheOrdinallySmallestId()
    {
        AccessDecision decision = Decide(Part2Disclosure(ConsentOf(ConsentKind.Part2, "org-hospital", id: "c9"), ConsentOf(ConsentKind.Part2, Consent.AnyRecipient, id: "c10")));

        Assert.Equal("c10", decision.ConsentId);
    }

    // Rule 7: disclosures outside the practice, HIPAA.
    [Theory]
    [InlineData("TREAT")]
    [InlineData("COC")]
    public void Decide_ProgressNoteToTreatingHospital_PermittedAndAccounted(string purpose)
    {
        AssertPermitted(Decide(For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Disclose, new PurposeOfUse(purpose), recipient: "org-hospital")), "disclosure.treatment-payment-operations", Obligation.AccountDisclosure);
    }

    [Fact]
    public void Decide_BillingDisclosesDiagnosisToPayer_PermittedMaskedAndAccounted()
    {
        AccessDecision decision = Decide(For(Billing, DataCategory.Diagnosis, PhiAction.Export, PurposeOfUse.Payment, recipient: "payer-acme"));

        AssertPermitted(decision, "disclosure.treatment-payment-operations", Obligation.AccountDisclosure, Obligation.MaskFields);
        Assert.NotNull(decision.FieldMask);
    }

    [Fact]
    public void Decide_ProgressNoteUnderHipaaCourtOrder_Permitted()
    {
        AccessRequest request = For(Compliance, DataCategory.ProgressNote, PhiAction.Disclose, PurposeOfUse.Legal, recipient: "court", courtOrder: new CourtOrder(CourtOrderKind.Hipaa));

        AssertPermitted(Decide(request), "disclosure.judicial", Obligation.AccountDisclosure);
    }

    [Fact]
    public void Decide_LegalDisclosureWithoutCourtOrder_NeedsAuthorization()
    {
        AssertDenied(Decide(For(Compliance, DataCategory.ProgressNote, PhiAction.Disclose, PurposeOfUse.Legal, recipient: "law-firm")), "disclosure.authorization-required");
    }

    [Fact]
    public void Decide_OversightDisclosureToHhs_Permitted()
    {
        AssertPermitted(Decide(For(Compliance, DataCategory.Diagnosis, PhiAction.Disclose, PurposeOfUse.Oversight, recipient: "HHS")), "disclosure.oversight", Obligation.AccountDisclosure);
        AssertDenied(Decide(For(Compliance, DataCategory.Diagnosis, PhiAction.Disclose, PurposeOfUse.Oversight, recipient: "state-board")), "disclosure.authorization-required");
    }

    [Fact]
    public void Decide_ComplianceOfficerDisclosingForOperations_DeniedBecauseItsDisclosuresServeCourtsAndHhs()
    {
        AssertDenied(Decide(For(Compliance, DataCategory.ProgressNote, PhiAction.Disclose, PurposeOfUse.Operations, recipient: "auditor")), "matrix.not-permitted");
    }

    [Fact]
    public void Decide_ResearchExportUnderHipaaAuthorization_Permitted()
    {
        Consent authorization = ConsentOf(ConsentKind.HipaaAuthorization, "univ-lab", "HRESCH", "ProgressNote", id: "h1");

        AccessDecision decision = Decide(For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Export, PurposeOfUse.Research, recipient: "univ-lab", consents: [authorization]));

        AssertPermitted(decision, "disclosure.hipaa-authorization", Obligation.AccountDisclosure);
        Assert.Equal("h1", decision.ConsentId);
    }

    [Fact]
    public void Decide_ResearchExportUnderPart2ConsentOnly_NeedsAHipaaAuthorizationForANonPart2Record()
    {
        Consent part2 = ConsentOf(ConsentKind.Part2, "univ-lab", "HRESCH");

        AssertDenied(Decide(For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Export, PurposeOfUse.Research, recipient: "univ-lab", consents: [part2])), "disclosure.authorization-required");
    }

    [Fact]
    public void Decide_DisclosureByRoleWithoutDiscloseGrant_Denied()
    {
        AssertDenied(Decide(For(Nurse(Patient), DataCategory.ProgressNote, PhiAction.Disclose, Treat, recipient: "org-hospital")), "matrix.not-permitted");
        AssertDenied(Decide(For(Therapist("p2"), DataCategory.ProgressNote, PhiAction.Disclose, Treat, recipient: "org-hospital")), "matrix.care-team-required");
    }

    // The decision itself.
    [Fact]
    public void Decide_Permit_ReasonsListTheDecidingRuleThenEachObligationsRule()
    {
        AccessDecision decision = Decide(Part2Disclosure(ConsentOf(ConsentKind.Part2, "org-hospital")));

        Assert.Equal(
            ["disclosure.part2-consent", "obligation.redisclosure-notice", "obligation.account-disclosure"],
            decision.Reasons.Select(r => r.Id));
        Assert.Equal(decision.Rule.Explanation, decision.Explanation);
        Assert.Equal("Permit (disclosure.part2-consent)", decision.ToString());
    }

    [Fact]
    public void Decide_Deny_HasNoObligationsNoMaskAndOneReason()
    {
        AccessDecision decision = Decide(For(Billing, DataCategory.ProgressNote, PhiAction.Read, PurposeOfUse.Payment));

        Assert.Equal(AccessOutcome.Deny, decision.Outcome);
        Assert.Empty(decision.Obligations);
        Assert.Null(decision.FieldMask);
        Assert.Null(decision.ConsentId);
        Assert.Single(decision.Reasons);
    }

    [Fact]
    public void Decide_CommonReadsAndDenies_AllocateNothing()
    {
        AccessRequest permit = For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Read, Treat,
            consents: [.. Enumerable.Range(0, 10).Select(i => ConsentOf(ConsentKind.Part2, "org-" + i, id: "c" + i))]);
        AccessRequest deny = For(Therapist(Patient), DataCategory.Medication, PhiAction.Read, Treat);
        AccessRequest part2Deny = Part2Disclosure(ConsentOf(ConsentKind.Part2, "org-other"));
        for (int i = 0; i < 100; i++)
        {
            s_engine.Decide(permit);
            s_engine.Decide(deny);
            s_engine.Decide(part2Deny);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            s_engine.Decide(permit);
            s_engine.Decide(deny);
            s_engine.Decide(part2Deny);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Decide_ManyThreadsAtOnce_GiveTheSameDecisionsAsOneThread()
    {
        AccessRequest[] requests = [.. PolicyArbitraries.RequestGen.Sample(50, new FsCheck.Rnd(3UL), 2000)];
        AccessDecision[] expected = [.. requests.Select(s_engine.Decide)];
        var engine = new PolicyEngine(RoleCatalog.CreateDefault());

        var actual = new AccessDecision[requests.Length];
        Parallel.For(0, requests.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => actual[i % requests.Length] = engine.Decide(requests[i % requests.Length]));

        for (int i = 0; i < requests.Length; i++)
        {
            AssertSameDecision(expected[i], actual[i]);
        }
    }

    // Malformed requests.
    [Fact]
    public void Decide_NullRequest_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => s_engine.Decide(null!));
    }

    [Fact]
    public void Decide_MalformedRequests_ThrowNamingTheMissingPart()
    {
        AccessRequest valid = For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Read, Treat);

        Assert.Contains("AccessRequest.Actor", Assert.Throws<ArgumentException>(() => s_engine.Decide(valid.WithActor(null!))).Message, StringComparison.Ordinal);
        Assert.Contains("PatientId", Assert.Throws<ArgumentException>(() => s_engine.Decide(For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Read, Treat, patient: " "))).Message, StringComparison.Ordinal);
        Assert.Contains("Category", Assert.Throws<ArgumentException>(() => s_engine.Decide(For(Therapist(Patient), default, PhiAction.Read, Treat))).Message, StringComparison.Ordinal);
        Assert.Contains("Category", Assert.Throws<ArgumentException>(() => s_engine.Decide(For(Therapist(Patient), DataCategory.All, PhiAction.Read, Treat))).Message, StringComparison.Ordinal);
        Assert.Contains("Action", Assert.Throws<ArgumentException>(() => s_engine.Decide(For(Therapist(Patient), DataCategory.ProgressNote, (PhiAction)42, Treat))).Message, StringComparison.Ordinal);
        Assert.Contains("Purpose", Assert.Throws<ArgumentException>(() => s_engine.Decide(For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Read, default))).Message, StringComparison.Ordinal);
        Assert.Contains("null entry", Assert.Throws<ArgumentException>(() => s_engine.Decide(Part2Disclosure([null!]))).Message, StringComparison.Ordinal);
    }

    // The engine over a changed catalog.
    [Fact]
    public void Decide_CatalogChangedInCode_EngineFollowsTheChange()
    {
        RoleCatalog catalog = RoleCatalog.CreateDefault()
            .Grant(WellKnownRoles.Therapist, DataCategory.Medication, PhiAction.Read)
            .Revoke(WellKnownRoles.Therapist, DataCategory.ProgressNote, PhiAction.Disclose, PhiAction.Export);
        var engine = new PolicyEngine(catalog);

        AssertPermitted(engine.Decide(For(Therapist(Patient), DataCategory.Medication, PhiAction.Read, Treat)), "matrix.role-permission");
        AssertDenied(engine.Decide(For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Disclose, Treat, recipient: "org-hospital")), "matrix.not-permitted");
    }

    [Fact]
    public void Decide_CatalogChangedAfterTheEngineWasBuilt_EngineKeepsItsSnapshot()
    {
        RoleCatalog catalog = RoleCatalog.CreateDefault();
        var engine = new PolicyEngine(catalog);

        catalog.Revoke(WellKnownRoles.Therapist, DataCategory.ProgressNote, PhiAction.Read);

        AssertPermitted(engine.Decide(For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Read, Treat)), "matrix.role-permission");
    }

    [Fact]
    public void Decide_CareTeamNotRequiredForARole_ClinicianReachesEveryPatient()
    {
        RoleCatalog catalog = RoleCatalog.CreateDefault().DefineRole(WellKnownRoles.Nurse, RoleTraits.Clinical);

        AssertPermitted(new PolicyEngine(catalog).Decide(For(Nurse(), DataCategory.Medication, PhiAction.Read, Treat)), "matrix.role-permission");
    }

    [Fact]
    public void Decide_PracticeWithItsOwnOrganizationId_TreatsThatIdAsInternal()
    {
        RoleCatalog catalog = RoleCatalog.CreateDefault();
        catalog.PracticeOrganization = "org-sunrise";
        var engine = new PolicyEngine(catalog);

        AssertPermitted(engine.Decide(For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Disclose, Treat, recipient: "org-sunrise")), "matrix.role-permission");
        AssertPermitted(engine.Decide(For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Disclose, Treat, recipient: "practice")), "disclosure.treatment-payment-operations", Obligation.AccountDisclosure);
    }

    private static AccessDecision Decide(AccessRequest request) => s_engine.Decide(request);

    private static AccessRequest Part2Disclosure(params Consent[] consents) =>
        For(Therapist(Patient), DataCategory.ProgressNote, PhiAction.Disclose, Treat, labels: [SensitivityLabel.SubstanceUseDisorder], recipient: "org-hospital", consents: consents);

    private static void AssertPermitted(AccessDecision decision, string ruleId, params Obligation[] obligations)
    {
        Assert.True(decision.IsPermitted, $"expected Permit by {ruleId}, got {decision}");
        Assert.Equal(ruleId, decision.Rule.Id);
        Assert.Equal(obligations.Order(), decision.Obligations.Order());
    }

    private static void AssertDenied(AccessDecision decision, string ruleId)
    {
        Assert.False(decision.IsPermitted, $"expected Deny by {ruleId}, got {decision}");
        Assert.Equal(ruleId, decision.Rule.Id);
        Assert.Empty(decision.Obligations);
    }
}
