using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Hipaa.Policy;
using Hl7.Fhir.Model;

// The FHIR model marks every element nullable; a missing element fails these tests with a NullReferenceException.
#nullable disable warnings

namespace Hipaa.Fhir.Tests;

/// <summary>Sensitivity labels and categories as meta.security: confidentiality, sensitivity, Part 2 and the redisclosure refrain.</summary>
public sealed class FhirSecurityLabelsTests
{
    private const string ActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    private const string Confidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

    [Fact]
    public void For_UnlabelledProgressNote_IsNormalOnly()
    {
        IReadOnlyList<Coding> security = FhirSecurityLabels.For(DataCategory.ProgressNote, []);

        Assert.Equal([(Confidentiality, "N")], security.Select(c => (c.System, c.Code)));
    }

    [Fact]
    public void For_SudLabelledRecord_IsRestrictedAndAPart2Record()
    {
        IReadOnlyList<Coding> security = FhirSecurityLabels.For(DataCategory.ProgressNote, [SensitivityLabel.SubstanceUseDisorder, SensitivityLabel.Psychiatry]);

        Assert.Equal([(Confidentiality, "R"), (ActCode, "SUD"), (ActCode, "PSY"), (ActCode, "42CFRPart2")], security.Select(c => (c.System, c.Code)));
    }

    [Theory]
    [InlineData("HIV")]
    [InlineData("ETH")]
    [InlineData("SDV")]
    [InlineData("GDIS")]
    public void For_OtherSensitivityLabel_IsRestrictedButNotPart2(string code)
    {
        IReadOnlyList<Coding> security = FhirSecurityLabels.For(DataCategory.LabResult, [new SensitivityLabel(code)]);

        Assert.Equal([(Confidentiality, "R"), (ActCode, code)], security.Select(c => (c.System, c.Code)));
    }

    [Fact]
    public void For_PsychotherapyNote_IsVeryRestrictedAndLabelledPsythpn()
    {
        IReadOnlyList<Coding> security = FhirSecurityLabels.For(DataCategory.PsychotherapyNote, []);

        Assert.Equal([(Confidentiality, "V"), (ActCode, "PSYTHPN")], security.Select(c => (c.System, c.Code)));
    }

    [Fact]
    public void For_SudCounselingNoteLabelledSud_IsVeryRestrictedAndPart2()
    {
        IReadOnlyList<Coding> security = FhirSecurityLabels.For(DataCategory.SudCounselingNote, [SensitivityLabel.SubstanceUseDisorder]);

        Assert.Equal([(Confidentiality, "V"), (ActCode, "SUD"), (ActCode, "42CFRPart2")], security.Select(c => (c.System, c.Code)));
    }

    [Fact]
    public void For_DisclosureObligedToCarryTheRedisclosureNotice_AddsTheRefrainCode()
    {
        AccessDecision decision = PolicyEngine.Default.Decide(Part2Disclosure([SensitivityLabel.SubstanceUseDisorder]));
        Assert.True(decision.HasObligation(Obligation.RedisclosureNotice));

        IReadOnlyList<Coding> security = FhirSecurityLabels.For(DataCategory.ProgressNote, [SensitivityLabel.SubstanceUseDisorder], decision);

        Assert.Equal(
            [(Confidentiality, "R"), (ActCode, "SUD"), (ActCode, "42CFRPart2"), (ActCode, "NORDSCLCDS")],
            security.Select(c => (c.System, c.Code)));
    }

    [Fact]
    public void For_DecisionWithoutTheNotice_AddsNoRefrainCode()
    {
        AccessDecision decision = PolicyEngine.Default.Decide(Part2Disclosure([]));
        Assert.True(decision.IsPermitted);
        Assert.False(decision.HasObligation(Obligation.RedisclosureNotice));

        IReadOnlyList<Coding> security = FhirSecurityLabels.For(DataCategory.ProgressNote, [], decision);

        Assert.DoesNotContain(security, c => c.Code == "NORDSCLCDS");
    }

    [Fact]
    public void Apply_ResourceAlreadyLabelledVeryRestricted_KeepsTheHigherLevelAndAddsEachCodeOnce()
    {
        var observation = new Observation { Meta = new Meta { Security = [new Coding(Confidentiality, "V"), new Coding(ActCode, "SUD")] } };

        FhirSecurityLabels.Apply(observation, DataCategory.LabResult, [SensitivityLabel.SubstanceUseDisorder, SensitivityLabel.Hiv]);

        Assert.Equal(
            [(Confidentiality, "V"), (ActCode, "SUD"), (ActCode, "HIV"), (ActCode, "42CFRPart2")],
            observation.Meta.Security.Select(c => (c.System, c.Code)));
    }

    [Fact]
    public void Apply_ResourceLabelledNormal_IsRaisedToRestricted()
    {
        var observation = new Observation { Meta = new Meta { Security = [new Coding(Confidentiality, "N")] } };

        FhirSecurityLabels.Apply(observation, DataCategory.LabResult, [SensitivityLabel.Hiv]);

        Assert.Equal([(Confidentiality, "R"), (ActCode, "HIV")], observation.Meta.Security.Select(c => (c.System, c.Code)));
    }

    [Fact]
    public void ReadSensitivityLabels_Part2PolicyCodeWithoutSud_StillReadsSud()
    {
        var observation = new Observation { Meta = new Meta { Security = [new Coding(Confidentiality, "R"), new Coding(ActCode, "42CFRPart2")] } };

        Assert.Equal([SensitivityLabel.SubstanceUseDisorder], FhirSecurityLabels.ReadSensitivityLabels(observation));
    }

    [Fact]
    public void ReadSensitivityLabels_DeprecatedConfidentialityCodes_ReadAsTheirActCodeSuccessors()
    {
        var observation = new Observation { Meta = new Meta { Security = [new Coding(Confidentiality, "PSY"), new Coding(Confidentiality, "R")] } };

        Assert.Equal([SensitivityLabel.Psychiatry], FhirSecurityLabels.ReadSensitivityLabels(observation));
    }

    [Property(MaxTest = 300)]
    public Property ReadSensitivityLabels_OfApply_GivesBackTheLabelsAndWhatTheCategoryImplies() =>
        Prop.ForAll(
            (from category in Gen.Elements(DataCategory.ProgressNote, DataCategory.PsychotherapyNote, DataCategory.SudCounselingNote, DataCategory.LabResult)
             from labels in Gen.ListOf(Gen.Elements(
                 SensitivityLabel.SubstanceUseDisorder, SensitivityLabel.SubstanceAbuse, SensitivityLabel.Psychiatry,
                 SensitivityLabel.PsychotherapyNote, SensitivityLabel.Hiv, SensitivityLabel.SexualAndDomesticViolence, new SensitivityLabel("GDIS")))
             select (category, labels: labels.ToArray())).ToArbitrary(),
            generated =>
            {
                var observation = new Observation();
                FhirSecurityLabels.Apply(observation, generated.category, generated.labels);

                SensitivityLabel[] expected = [.. generated.labels.Distinct()];
                if (generated.category == DataCategory.PsychotherapyNote && !expected.Contains(SensitivityLabel.PsychotherapyNote))
                {
                    expected = [.. expected, SensitivityLabel.PsychotherapyNote];
                }

                Assert.Equal(expected, FhirSecurityLabels.ReadSensitivityLabels(observation));
                Assert.Single(observation.Meta.Security, c => c.System == Confidentiality);
                Assert.Equal(expected.Contains(SensitivityLabel.SubstanceUseDisorder), observation.Meta.Security.Exists(c => c.Code == "42CFRPart2"));
            });

    private static AccessRequest Part2Disclosure(SensitivityLabel[] labels) => new()
    {
        Actor = new Actor("u-ther-1", [WellKnownRoles.Therapist], organization: "practice", careTeamOf: ["p1"]),
        PatientId = "p1",
        Category = DataCategory.ProgressNote,
        Labels = labels,
        Action = PhiAction.Disclose,
        Purpose = PurposeOfUse.Treatment,
        Recipient = "org-hospital",
        Consents = [ConsentSamples.Of(ConsentKind.Part2)],
        At = ConsentSamples.From.AddDays(10),
    };
}
