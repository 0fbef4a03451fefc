using Hipaa.Policy;

namespace Hipaa.Tests.Policy;

public sealed class RoleCatalogTests
{
    // The role matrix of conformance/README.md, verbatim.
    private const string Matrix = """
        | category | Therapist | Psychiatrist | Nurse | ClinicalSupervisor | Billing | FrontDesk | ComplianceOfficer | Patient (own) |
        |---|---|---|---|---|---|---|---|---|
        | Demographics | R | R | R | R | R | RW | RX* | R |
        | Appointment | RW | RW | R | R | R | RWD | X* | R |
        | ProgressNote | RWX | RWX | R | RX | – | – | X* | R |
        | PsychotherapyNote | author | author | – | author | – | – | – | – |
        | SudCounselingNote | author | author | – | author | – | – | – | – |
        | Medication | – | RWX | R | – | – | – | X* | R |
        | Diagnosis | RWX | RWX | R | R | RX | – | X* | R |
        | TreatmentPlan | RWX | RWX | R | RW | – | – | X* | R |
        | LabResult | – | RWX | RW | – | – | – | X* | R |
        | Claim | – | – | – | – | RWX | – | X* | R |
        | Consent | RW | RW | R | R | R | RW | RX* | R |
        | AuditLog | – | – | – | – | – | – | RX | – |
        """;

    private static readonly PurposeOfUse[] s_allPurposes =
    [
        PurposeOfUse.Treatment, PurposeOfUse.Payment, PurposeOfUse.Operations, PurposeOfUse.EmergencyTreatment,
        PurposeOfUse.PatientRequest, PurposeOfUse.Research, PurposeOfUse.Legal, PurposeOfUse.Oversight,
        PurposeOfUse.Training, PurposeOfUse.CoordinationOfCare,
    ];

    public static TheoryData<string, string, string> MatrixCells()
    {
        var cells = new TheoryData<string, string, string>();
        string[] lines = Matrix.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] roles = [.. Columns(lines[0]).Skip(1).Select(c => c.Replace(" (own)", string.Empty, StringComparison.Ordinal))];
        foreach (string line in lines.Skip(2))
        {
            string[] columns = Columns(line);
            for (int i = 0; i < roles.Length; i++)
            {
                cells.Add(columns[0], roles[i], columns[i + 1]);
            }
        }

        return cells;
    }

    [Theory]
    [MemberData(nameof(MatrixCells))]
    public void CreateDefault_EveryMatrixCell_GrantsExactlyTheDocumentedActions(string category, string role, string cell)
    {
        RoleCatalog catalog = RoleCatalog.CreateDefault();
        var dataCategory = new DataCategory(category);
        bool restrictedDisclosure = cell.EndsWith('*');
        string letters = cell == "author" ? "RW" : cell.TrimEnd('*');

        foreach (PhiAction action in Enum.GetValues<PhiAction>())
        {
            bool expected = action switch
            {
                PhiAction.Read => letters.Contains('R', StringComparison.Ordinal),
                PhiAction.Create or PhiAction.Update => letters.Contains('W', StringComparison.Ordinal),
                PhiAction.Delete => letters.Contains('D', StringComparison.Ordinal),
                PhiAction.Reencrypt => false, // key maintenance is not in the matrix (rule maintenance.reencrypt)
                _ => letters.Contains('X', StringComparison.Ordinal),
            };
            foreach (PurposeOfUse purpose in s_allPurposes)
            {
                bool expectedForPurpose = expected
                    && (!restrictedDisclosure || action is not (PhiAction.Disclose or PhiAction.Export) || purpose == PurposeOfUse.Legal || purpose == PurposeOfUse.Oversight);
                Assert.True(
                    expectedForPurpose == catalog.IsGranted(role, dataCategory, action, purpose),
                    $"{role} {action} {category} for {purpose}: expected {expectedForPurpose} from cell '{cell}'");
            }
        }
    }

    [Theory]
    [InlineData("Therapist", "TREAT COC ETREAT", "HRESCH")]
    [InlineData("Psychiatrist", "TREAT COC ETREAT", "HRESCH")]
    [InlineData("Nurse", "TREAT COC ETREAT", "HRESCH")]
    [InlineData("ClinicalSupervisor", "TREAT COC ETREAT HTRAIN", "HRESCH")]
    [InlineData("Billing", "HPAYMT HOPERAT", "")]
    [InlineData("FrontDesk", "HOPERAT TREAT", "")]
    [InlineData("ComplianceOfficer", "HOPERAT HOVERSIGHT HLEGAL", "")]
    [InlineData("Patient", "PATRQT", "")]
    [InlineData("ExternalProvider", "", "")]
    public void CreateDefault_EveryRole_MayActForExactlyTheDocumentedPurposes(string role, string anyAction, string disclosureOnly)
    {
        RoleCatalog catalog = RoleCatalog.CreateDefault();
        string[] always = anyAction.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string[] forDisclosure = disclosureOnly.Split(' ', StringSplitOptions.RemoveEmptyEntries);

        foreach (PurposeOfUse purpose in s_allPurposes)
        {
            foreach (PhiAction action in Enum.GetValues<PhiAction>())
            {
                bool expected = action != PhiAction.Reencrypt
                    && (always.Contains(purpose.Code) || (forDisclosure.Contains(purpose.Code) && action is PhiAction.Disclose or PhiAction.Export));
                Assert.True(expected == catalog.AllowsPurpose(role, purpose, action), $"{role} {action} for {purpose}: expected {expected}");
            }
        }
    }

    [Fact]
    public void CreateDefault_RolesCategoriesAndTraits_AreTheBehavioralHealthDefaults()
    {
        RoleCatalog catalog = RoleCatalog.CreateDefault();

        Assert.Equal(9, catalog.Roles.Count);
        Assert.Equal(12, catalog.Categories.Count);
        Assert.Equal(RoleTraits.Clinical | RoleTraits.RequiresCareTeam, catalog.GetTraits(WellKnownRoles.Therapist));
        Assert.Equal(RoleTraits.Clinical | RoleTraits.RequiresCareTeam | RoleTraits.TrainingSupervisor, catalog.GetTraits(WellKnownRoles.ClinicalSupervisor));
        Assert.Equal(RoleTraits.ExcludedFromNotes, catalog.GetTraits(WellKnownRoles.Billing));
        Assert.Equal(RoleTraits.ComplianceOfficer, catalog.GetTraits(WellKnownRoles.ComplianceOfficer));
        Assert.Equal(RoleTraits.None, catalog.GetTraits(WellKnownRoles.FrontDesk));
        Assert.Equal(RoleTraits.Patient, catalog.GetTraits(WellKnownRoles.Patient));
        Assert.Equal(RoleTraits.None, catalog.GetTraits(WellKnownRoles.ExternalProvider));
        Assert.Equal("practice", catalog.PracticeOrganization);
        Assert.Equal("HHS", catalog.OversightRecipient);
        Assert.Equal("Code, CodeSystem, Display", catalog.GetFieldMask(WellKnownRoles.Billing, DataCategory.Diagnosis)?.ToString());
        Assert.Null(catalog.GetFieldMask(WellKnownRoles.Therapist, DataCategory.Diagnosis));
    }

    [Fact]
    public void CreateDefault_EachCall_ReturnsAnIndependentCatalog()
    {
        RoleCatalog first = RoleCatalog.CreateDefault();
        RoleCatalog second = RoleCatalog.CreateDefault();

        first.Revoke(WellKnownRoles.Therapist, DataCategory.ProgressNote, PhiAction.Read);

        Assert.True(second.IsGranted(WellKnownRoles.Therapist, DataCategory.ProgressNote, PhiAction.Read, PurposeOfUse.Treatment));
    }

    [Fact]
    public void Validate_DefaultCatalog_HasNoProblems()
    {
        Assert.Empty(RoleCatalog.CreateDefault().Validate());
    }

    [Fact]
    public void Validate_MisconfiguredCatalog_ListsEveryProblem()
    {
        RoleCatalog catalog = RoleCatalog.CreateDefault()
            .Grant("Therapsit", DataCategory.ProgressNote, PhiAction.Read)
            .Grant(WellKnownRoles.Therapist, new DataCategory("Referal"), PhiAction.Read)
            .Grant(WellKnownRoles.Therapist, DataCategory.PsychotherapyNote, PhiAction.Delete)
            .Grant(WellKnownRoles.FrontDesk, DataCategory.PsychotherapyNote, PhiAction.Read)
            .Grant(WellKnownRoles.Patient, DataCategory.Demographics, PhiAction.Update)
            .GrantForPurposes(WellKnownRoles.Nurse, DataCategory.Claim, [PurposeOfUse.Payment], PhiAction.Read)
            .SetFieldMask(WellKnownRoles.FrontDesk, DataCategory.Diagnosis, FieldMask.Only("Code"))
            .DefineRole("Auditor")
            .Grant("Auditor", DataCategory.AuditLog, PhiAction.Read)
            .DefineRole("Kiosk", RoleTraits.Patient | RoleTraits.Clinical);
        catalog.PracticeOrganization = " ";

        IReadOnlyList<string> problems = catalog.Validate();

        Assert.Equal(10, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("PracticeOrganization is empty", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Role 'Therapsit' is used by a grant on ProgressNote but is not defined", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Category 'Referal' is used by a grant to Therapist but is not defined", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Role 'Therapist' is granted Delete on PsychotherapyNote", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Role 'FrontDesk' is granted actions on PsychotherapyNote but is not a clinical role", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Role 'Patient' is a patient role but is granted Update on Demographics", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Role 'Nurse' is granted Read on Claim for purpose HPAYMT, but the role may not act for HPAYMT", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Role 'FrontDesk' has a field mask on Diagnosis but may not read", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Role 'Auditor' has grants but no purpose of use", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Role 'Kiosk' combines RoleTraits.Patient with clinical traits", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_PatientRoleWithClinicalTraits_IsAProblem()
    {
        RoleCatalog catalog = new RoleCatalog().DefineRole("Kiosk", RoleTraits.Patient | RoleTraits.Clinical);

        Assert.Contains("combines RoleTraits.Patient with clinical traits", Assert.Single(catalog.Validate()), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TrainingSupervisorWithoutTheClinicalTrait_IsAProblem()
    {
        RoleCatalog catalog = new RoleCatalog().DefineRole("Coordinator", RoleTraits.TrainingSupervisor);

        Assert.Contains("has RoleTraits.TrainingSupervisor but not RoleTraits.Clinical", Assert.Single(catalog.Validate()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RoleTraits.ComplianceOfficer | RoleTraits.ExcludedFromNotes, "combines RoleTraits.ComplianceOfficer with RoleTraits.ExcludedFromNotes")]
    [InlineData(RoleTraits.ComplianceOfficer | RoleTraits.Patient, "combines RoleTraits.ComplianceOfficer with RoleTraits.Patient")]
    [InlineData(RoleTraits.TrainingSupervisor | RoleTraits.Clinical | RoleTraits.ExcludedFromNotes, "combines RoleTraits.TrainingSupervisor with RoleTraits.ExcludedFromNotes")]
    public void Validate_NoteExceptionTraitOnARoleThatNeverReceivesNotes_IsAProblem(RoleTraits traits, string problem)
    {
        RoleCatalog catalog = new RoleCatalog().DefineRole("Mixed", traits);

        Assert.Contains(catalog.Validate(), p => p.Contains(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_BillingTraitWithNoteGrant_IsAProblem()
    {
        RoleCatalog catalog = RoleCatalog.CreateDefault().DefineRole(WellKnownRoles.Therapist, RoleTraits.Clinical | RoleTraits.ExcludedFromNotes);

        Assert.Contains(catalog.Validate(), p => p.Contains("is excluded from separately kept notes", StringComparison.Ordinal));
    }

    [Fact]
    public void PolicyEngine_InvalidCatalog_RefusesToStartListingEveryProblem()
    {
        RoleCatalog catalog = RoleCatalog.CreateDefault()
            .Grant("Therapsit", DataCategory.ProgressNote, PhiAction.Read)
            .Grant(WellKnownRoles.Billing, new DataCategory("Invoice"), PhiAction.Read);

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => new PolicyEngine(catalog));

        Assert.Contains("2 problem(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Therapsit'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Invoice'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Revoke_PurposeLimitedGrant_RemovesItForEveryPurpose()
    {
        RoleCatalog catalog = RoleCatalog.CreateDefault().Revoke(WellKnownRoles.ComplianceOfficer, DataCategory.ProgressNote, PhiAction.Disclose);

        Assert.False(catalog.IsGranted(WellKnownRoles.ComplianceOfficer, DataCategory.ProgressNote, PhiAction.Disclose, PurposeOfUse.Legal));
        Assert.True(catalog.IsGranted(WellKnownRoles.ComplianceOfficer, DataCategory.ProgressNote, PhiAction.Export, PurposeOfUse.Legal));
    }

    [Fact]
    public void RemoveRole_DefinedRole_RemovesItsPurposesGrantsAndMasks()
    {
        RoleCatalog catalog = RoleCatalog.CreateDefault().RemoveRole(WellKnownRoles.Billing);

        Assert.DoesNotContain(WellKnownRoles.Billing, catalog.Roles);
        Assert.False(catalog.IsGranted(WellKnownRoles.Billing, DataCategory.Claim, PhiAction.Read, PurposeOfUse.Payment));
        Assert.False(catalog.AllowsPurpose(WellKnownRoles.Billing, PurposeOfUse.Payment, PhiAction.Read));
        Assert.Null(catalog.GetFieldMask(WellKnownRoles.Billing, DataCategory.Diagnosis));
        Assert.Empty(catalog.Validate());
    }

    [Fact]
    public void DisallowPurpose_AllowedPurpose_IsNoLongerAllowed()
    {
        RoleCatalog catalog = RoleCatalog.CreateDefault().DisallowPurpose(WellKnownRoles.FrontDesk, PurposeOfUse.Treatment);

        Assert.False(catalog.AllowsPurpose(WellKnownRoles.FrontDesk, PurposeOfUse.Treatment, PhiAction.Read));
        Assert.True(catalog.AllowsPurpose(WellKnownRoles.FrontDesk, PurposeOfUse.Operations, PhiAction.Read));
    }

    [Fact]
    public void CatalogMethods_MalformedArguments_ThrowAtOnce()
    {
        var catalog = new RoleCatalog();

        Assert.Throws<ArgumentException>(() => catalog.DefineRole(" "));
        Assert.Throws<ArgumentOutOfRangeException>(() => catalog.DefineRole("X", (RoleTraits)64));
        Assert.Throws<ArgumentException>(() => catalog.DefineCategory(default));
        Assert.Throws<ArgumentException>(() => catalog.DefineCategory(DataCategory.All));
        Assert.Throws<ArgumentException>(() => catalog.Grant("X", DataCategory.Claim));
        Assert.Throws<ArgumentException>(() => catalog.Grant("X", DataCategory.All, PhiAction.Read));
        Assert.Throws<ArgumentOutOfRangeException>(() => catalog.Grant("X", DataCategory.Claim, (PhiAction)0));
        Assert.Throws<ArgumentException>(() => catalog.GrantForPurposes("X", DataCategory.Claim, [], PhiAction.Read));
        Assert.Throws<ArgumentException>(() => catalog.AllowPurpose("X", default));
        Assert.Throws<ArgumentException>(() => catalog.GetTraits("Nobody"));
        Assert.Throws<ArgumentNullException>(() => catalog.IsGranted(null!, DataCategory.Claim, PhiAction.Read, PurposeOfUse.Payment));
    }

    private static string[] Columns(string line) => [.. line.Trim('|').Split('|').Select(c => c.Trim())];
}
