using Hipaa.Policy;
using Hl7.Fhir.Model;
using Xunit.Abstractions;
using FhirConsent = Hl7.Fhir.Model.Consent;
using PolicyConsent = Hipaa.Policy.Consent;

// The FHIR model marks every element nullable; a missing element fails these tests with a NullReferenceException.
#nullable disable warnings

namespace Hipaa.Fhir.Tests;

/// <summary>
/// The exported Consents (each kind, active and revoked) and a resource labelled with security labels are valid base FHIR R4
/// (structure, cardinality, invariants, required bindings) under the Firely validator. Warnings are written to the test
/// output; errors fail.
/// </summary>
public sealed class FhirConsentValidationTests(R4ValidatorFixture r4, ITestOutputHelper output) : IClassFixture<R4ValidatorFixture>
{
    private readonly FhirConsentMapper _mapper = new();

    public static TheoryData<ConsentKind, bool> KindsActiveAndRevoked()
    {
        var data = new TheoryData<ConsentKind, bool>();
        foreach (ConsentKind kind in Enum.GetValues<ConsentKind>())
        {
            data.Add(kind, false);
            data.Add(kind, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KindsActiveAndRevoked))]
    public void ToFhir_EachKind_IsValidBaseR4(ConsentKind kind, bool revoked)
    {
        PolicyConsent consent = ConsentSamples.Of(kind);
        if (revoked)
        {
            consent = consent.Revoke(ConsentSamples.From.AddDays(3));
        }

        AssertValid(_mapper.ToFhir(consent), $"{kind}{(revoked ? ", revoked" : "")}");
    }

    [Fact]
    public void ToFhir_IdsThatAreNotFhirIds_IsValidBaseR4()
    {
        var consent = new PolicyConsent("Consent 7 / ä", "MRN 0042/7", ConsentKind.Part2, ["Ärztehaus Süd"], [PurposeOfUse.Treatment], [DataCategory.All], ConsentSamples.From);

        AssertValid(_mapper.ToFhir(consent), "ids that are not FHIR ids");
    }

    [Fact]
    public void Apply_LabelledPart2DisclosureOfAnObservation_IsValidBaseR4()
    {
        var observation = new Observation
        {
            Id = "obs-1",
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "11506-3", "Progress note"),
            Subject = new ResourceReference("Patient/p1"),
        };
        AccessDecision decision = PolicyEngine.Default.Decide(Part2Disclosure());

        FhirSecurityLabels.Apply(observation, DataCategory.ProgressNote, [SensitivityLabel.SubstanceUseDisorder, SensitivityLabel.Psychiatry], decision);

        Assert.Contains(observation.Meta.Security, c => c.Code == "NORDSCLCDS");
        AssertValid(observation, "labelled observation");
    }

    [Fact]
    public async System.Threading.Tasks.Task ExportedCodings_OfHl7CodeSystems_AreDefinedInTheR4TerminologyWithTheirDisplay()
    {
        var codings = new List<Coding>();
        foreach (ConsentKind kind in Enum.GetValues<ConsentKind>())
        {
            FhirConsent fhir = _mapper.ToFhir(ConsentSamples.Of(kind));
            codings.AddRange(fhir.Scope.Coding);
            codings.AddRange(fhir.Category.SelectMany(c => c.Coding));
            codings.AddRange(fhir.PolicyRule.Coding);
            codings.AddRange(fhir.Provision.Actor.SelectMany(a => a.Role.Coding));
            codings.AddRange(fhir.Provision.Purpose);
        }

        AccessDecision notice = PolicyEngine.Default.Decide(Part2Disclosure());
        Assert.True(notice.HasObligation(Obligation.RedisclosureNotice));
        foreach (DataCategory category in new[] { DataCategory.ProgressNote, DataCategory.PsychotherapyNote, DataCategory.SudCounselingNote })
        {
            codings.AddRange(FhirSecurityLabels.For(category, [], null));
            codings.AddRange(FhirSecurityLabels.For(
                category,
                [SensitivityLabel.SubstanceUseDisorder, SensitivityLabel.SubstanceAbuse, SensitivityLabel.Psychiatry, SensitivityLabel.PsychotherapyNote, SensitivityLabel.Hiv, SensitivityLabel.SexualAndDomesticViolence],
                notice));
        }

        codings.AddRange(FhirSecurityLabels.For(DataCategory.LabResult, [SensitivityLabel.Hiv]));

        string[] hl7 = [.. codings.Where(c => c.System.StartsWith("http://terminology.hl7.org/CodeSystem/", StringComparison.Ordinal))
            .Select(c => c.System + "|" + c.Code + "|" + c.Display).Distinct()];
        Assert.Contains("http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R|restricted", hl7);
        Assert.Contains("http://terminology.hl7.org/CodeSystem/v3-ActCode|NORDSCLCDS|no redisclosure without information subject's consent directive", hl7);
        foreach (string entry in hl7)
        {
            string[] parts = entry.Split('|');
            (bool defined, string? display) = await r4.LookupAsync(parts[0], parts[1]);
            Assert.True(defined, entry + " is not defined in R4");
            if (parts[2].Length > 0)
            {
                Assert.Equal(display, parts[2]);
            }
        }

        output.WriteLine($"{hl7.Length} HL7 codings checked: {string.Join(", ", hl7)}");
    }

    [Fact]
    public void Validate_ConsentWithoutScopeOrWithAnActorWithoutRole_ReportsErrors()
    {
        FhirConsent broken = _mapper.ToFhir(ConsentSamples.Of(ConsentKind.Part2));
        broken.Scope = null;
        broken.Provision.Actor[0].Role = null;

        (string[] errors, _) = r4.Validate(broken);

        Assert.Contains(errors, e => e.Contains("'scope'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("actor[0]", StringComparison.Ordinal) && e.Contains("'role'", StringComparison.Ordinal));
    }

    private static AccessRequest Part2Disclosure() => new()
    {
        Actor = new Actor("u-ther-1", [WellKnownRoles.Therapist], organization: "practice", careTeamOf: ["p1"]),
        PatientId = "p1",
        Category = DataCategory.ProgressNote,
        Labels = [SensitivityLabel.SubstanceUseDisorder, SensitivityLabel.Psychiatry],
        Action = PhiAction.Disclose,
        Purpose = PurposeOfUse.Treatment,
        Recipient = "org-hospital",
        Consents = [ConsentSamples.Of(ConsentKind.Part2)],
        At = ConsentSamples.From.AddDays(10),
    };

    private void AssertValid(Resource resource, string name)
    {
        (string[] errors, string[] warnings) = r4.Validate(resource);
        foreach (string warning in warnings)
        {
            output.WriteLine($"{name}: warning {warning}");
        }

        Assert.True(errors.Length == 0, name + ": " + string.Join("\n", errors));
    }
}
