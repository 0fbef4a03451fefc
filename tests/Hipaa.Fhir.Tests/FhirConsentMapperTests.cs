using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Hipaa.Policy;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using FhirConsent = Hl7.Fhir.Model.Consent;
using PolicyConsent = Hipaa.Policy.Consent;

// The FHIR model marks every element nullable; a missing element fails these tests with a NullReferenceException.
#nullable disable warnings

namespace Hipaa.Fhir.Tests;

/// <summary>Consents as FHIR R4 Consent resources: the shape of each kind, revocation, the round trips, and every refusal on import.</summary>
public sealed class FhirConsentMapperTests
{
    private const string ActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    private const string ConsentPolicy = "http://terminology.hl7.org/CodeSystem/consentpolicycodes";

    private static readonly JsonSerializerOptions FhirJson = new JsonSerializerOptions().ForFhir();

    private readonly FhirConsentMapper _mapper = new();

    [Fact]
    public void ToFhir_Part2Consent_HasScopeCategoryPatientPolicyAndOnePermitProvision()
    {
        FhirConsent fhir = _mapper.ToFhir(ConsentSamples.Of(ConsentKind.Part2));

        Assert.Equal("c-part2", fhir.Id);
        Assert.Equal(("urn:hipaa-sdk:consent", "c-part2"), (fhir.Identifier[0].System, fhir.Identifier[0].Value));
        Assert.Equal(FhirConsent.ConsentState.Active, fhir.Status);
        Assert.Equal(("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy"), (fhir.Scope.Coding[0].System, fhir.Scope.Coding[0].Code));
        Assert.Equal(["IDSCL", "64292-6"], Assert.Single(fhir.Category).Coding.Select(c => c.Code));
        Assert.Equal("Patient/p1", fhir.Patient.Reference);
        Assert.Equal(("urn:hipaa-sdk:patient", "p1"), (fhir.Patient.Identifier.System, fhir.Patient.Identifier.Value));
        Assert.Equal([(ActCode, "42CFRPart2"), ("urn:hipaa-sdk:consent-kind", "Part2")], fhir.PolicyRule.Coding.Select(c => (c.System, c.Code)));

        FhirConsent.provisionComponent provision = fhir.Provision;
        Assert.Equal(FhirConsent.ConsentProvisionType.Permit, provision.Type);
        Assert.Equal("2026-01-05T09:30:00+00:00", provision.Period.Start);
        Assert.Equal("2027-01-05T09:29:59+00:00", provision.Period.End);
        FhirConsent.provisionActorComponent actor = Assert.Single(provision.Actor);
        Assert.Equal(("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP"), (actor.Role.Coding[0].System, actor.Role.Coding[0].Code));
        Assert.Equal(("urn:hipaa-sdk:organization", "org-hospital"), (actor.Reference.Identifier.System, actor.Reference.Identifier.Value));
        Coding purpose = Assert.Single(provision.Purpose);
        Assert.Equal(("http://terminology.hl7.org/CodeSystem/v3-ActReason", "TREAT"), (purpose.System, purpose.Code));
        Assert.Equal([("urn:hipaa-sdk:data-category", "ProgressNote"), ("urn:hipaa-sdk:data-category", "Diagnosis")], provision.Class.Select(c => (c.System, c.Code)));
        Assert.Empty(provision.Provision);
    }

    [Theory]
    [InlineData(ConsentKind.Part2, ActCode, "42CFRPart2")]
    [InlineData(ConsentKind.Part2Tpo, ActCode, "42CFRPart2")]
    [InlineData(ConsentKind.SudCounselingNoteConsent, ActCode, "42CFRPart2")]
    [InlineData(ConsentKind.PsychotherapyAuthorization, ActCode, "HIPAAPsyNotes")]
    [InlineData(ConsentKind.PsychotherapyAuthorization, ConsentPolicy, "hipaa-auth")]
    [InlineData(ConsentKind.HipaaAuthorization, ConsentPolicy, "hipaa-auth")]
    public void ToFhir_EachKind_NamesItsLawAndItsSdkKind(ConsentKind kind, string system, string code)
    {
        FhirConsent fhir = _mapper.ToFhir(ConsentSamples.Of(kind));

        Assert.Contains(fhir.PolicyRule.Coding, c => c.System == system && c.Code == code);
        Assert.Contains(fhir.PolicyRule.Coding, c => c.System == "urn:hipaa-sdk:consent-kind" && c.Code == kind.ToString());
        Assert.Equal(ConsentSamples.Of(kind).Kind, _mapper.FromFhir(fhir).Kind);
    }

    [Fact]
    public void ToFhir_AnyRecipientAndAllCategories_LeaveActorAndClassOut()
    {
        FhirConsent fhir = _mapper.ToFhir(ConsentSamples.Of(ConsentKind.Part2Tpo));

        Assert.Empty(fhir.Provision.Actor);
        Assert.Empty(fhir.Provision.Class);
        Assert.Null(fhir.Provision.Period.End);
        Assert.Equal(["TREAT", "HPAYMT", "HOPERAT"], fhir.Provision.Purpose.Select(p => p.Code));
    }

    [Fact]
    public void ToFhir_RevokedConsent_IsInactiveWithANestedDenyFromTheRevocation()
    {
        PolicyConsent revoked = ConsentSamples.Of(ConsentKind.Part2).Revoke(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.FromHours(-5)));

        FhirConsent fhir = _mapper.ToFhir(revoked);

        Assert.Equal(FhirConsent.ConsentState.Inactive, fhir.Status);
        FhirConsent.provisionComponent deny = Assert.Single(fhir.Provision.Provision);
        Assert.Equal(FhirConsent.ConsentProvisionType.Deny, deny.Type);
        Assert.Equal("2026-03-01T12:00:00-05:00", deny.Period.Start);
        Assert.Null(deny.Period.End);
        Assert.Equal(revoked.RevokedAt, _mapper.FromFhir(fhir).RevokedAt);
    }

    [Theory]
    [InlineData(0L, "2026-12-31T23:59:59+00:00")]
    [InlineData(5_000_000L, "2027-01-01T00:00:00.499+00:00")]
    [InlineData(10L, "2027-01-01T00:00:00.000000+00:00")]
    [InlineData(3L, "2027-01-01T00:00:00.0000002+00:00")]
    public void ToFhir_Until_IsWrittenAsTheLastUnitBeforeIt(long ticksAfterMidnight, string end)
    {
        DateTimeOffset until = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(ticksAfterMidnight);
        var consent = new PolicyConsent("c", "p1", ConsentKind.Part2, ["org"], [PurposeOfUse.Treatment], [DataCategory.All], ConsentSamples.From, until);

        FhirConsent fhir = _mapper.ToFhir(consent);

        Assert.Equal(end, fhir.Provision.Period.End);
        Assert.Equal(until, _mapper.FromFhir(fhir).Until);
    }

    [Fact]
    public void ToFhir_IdThatIsNotAFhirId_IsCarriedInTheIdentifierOnly()
    {
        var consent = new PolicyConsent("Consent 7 / ä", "MRN 0042/7", ConsentKind.Part2, ["org"], [PurposeOfUse.Treatment], [DataCategory.All], ConsentSamples.From);

        FhirConsent fhir = _mapper.ToFhir(consent);

        Assert.Null(fhir.Id);
        Assert.Null(fhir.Patient.Reference);
        PolicyConsent back = _mapper.FromFhir(fhir);
        Assert.Equal(("Consent 7 / ä", "MRN 0042/7"), (back.Id, back.PatientId));
    }

    public static TheoryData<string, PolicyConsent> Unexportable() => new()
    {
        { "no recipient", new PolicyConsent("c", "p1", ConsentKind.Part2, [], [PurposeOfUse.Treatment], [DataCategory.All], ConsentSamples.From) },
        { "no purpose", new PolicyConsent("c", "p1", ConsentKind.Part2, ["org"], [], [DataCategory.All], ConsentSamples.From) },
        { "no category", new PolicyConsent("c", "p1", ConsentKind.Part2, ["org"], [PurposeOfUse.Treatment], [], ConsentSamples.From) },
        { "empty window", new PolicyConsent("c", "p1", ConsentKind.Part2, ["org"], [PurposeOfUse.Treatment], [DataCategory.All], ConsentSamples.From, ConsentSamples.From) },
    };

    [Theory]
    [MemberData(nameof(Unexportable))]
    public void ToFhir_ConsentThatPermitsNothing_IsRefusedRatherThanWidened(string name, PolicyConsent consent)
    {
        ArgumentException refused = Assert.Throws<ArgumentException>(() => _mapper.ToFhir(consent));

        Assert.Equal("consent", refused.ParamName);
        Assert.False(string.IsNullOrWhiteSpace(name));
    }

    [Property(MaxTest = 500)]
    public Property FromFhir_OfToFhir_IsTheIdentity() =>
        Prop.ForAll(ConsentSamples.Arbitrary(), consent =>
        {
            PolicyConsent back = _mapper.FromFhir(OverTheWire(_mapper.ToFhir(consent)));

            Assert.Equal(consent.Id, back.Id);
            Assert.Equal(consent.PatientId, back.PatientId);
            Assert.Equal(consent.Kind, back.Kind);
            Assert.Equal(consent.Recipients, back.Recipients);
            Assert.Equal(consent.Purposes, back.Purposes);
            Assert.Equal(consent.Categories, back.Categories);
            Assert.Equal(consent.From, back.From);
            Assert.Equal(consent.Until, back.Until);
            Assert.Equal(consent.RevokedAt, back.RevokedAt);
        });

    [Property(MaxTest = 300)]
    public Property ToFhir_OfFromFhir_KeepsEveryMappedElement() =>
        Prop.ForAll(ConsentSamples.Arbitrary(), consent =>
        {
            FhirConsent exported = OverTheWire(_mapper.ToFhir(consent));

            FhirConsent again = _mapper.ToFhir(_mapper.FromFhir(exported));

            Assert.True(again.IsExactly(exported), FhirConsentJson(exported) + "\n!=\n" + FhirConsentJson(again));
        });

    [Property(MaxTest = 300)]
    public Property FromFhir_OfToFhir_IsValidAtExactlyTheSameInstants() =>
        Prop.ForAll(
            ConsentSamples.Arbitrary(),
            Gen.Choose(-5, 5).Select(t => (long)t).ToArbitrary(),
            (consent, nudge) =>
            {
                PolicyConsent back = _mapper.FromFhir(_mapper.ToFhir(consent));

                foreach (DateTimeOffset edge in new[] { consent.From, consent.Until, consent.RevokedAt }.OfType<DateTimeOffset>())
                {
                    DateTimeOffset at = edge.AddTicks(nudge);
                    Assert.Equal(consent.IsValidAt(at), back.IsValidAt(at));
                }
            });

    [Fact]
    public void FromFhir_ImportedPart2Consent_PermitsTheSameDisclosureWithTheSameObligations()
    {
        PolicyConsent original = ConsentSamples.Of(ConsentKind.Part2);
        PolicyConsent imported = _mapper.FromFhir(OverTheWire(_mapper.ToFhir(original)));

        AccessDecision before = PolicyEngine.Default.Decide(Disclosure(original));
        AccessDecision after = PolicyEngine.Default.Decide(Disclosure(imported));

        Assert.Equal(AccessOutcome.Permit, before.Outcome);
        Assert.Equal((before.Outcome, before.Rule.Id, before.ConsentId), (after.Outcome, after.Rule.Id, after.ConsentId));
        Assert.Equal(before.Obligations, after.Obligations);
        Assert.Contains(Obligation.RedisclosureNotice, after.Obligations);
    }

    [Fact]
    public void FromFhir_ConsentWrittenByAnotherSystem_ReadsDateOnlyEndAsTheWholeDayInTheGivenZone()
    {
        const string json = """
            {
              "resourceType": "Consent",
              "id": "ext-17",
              "status": "active",
              "scope": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy" }] },
              "category": [{ "coding": [{ "system": "http://loinc.org", "code": "64292-6" }] }],
              "patient": { "reference": "Patient/p9" },
              "policyRule": { "coding": [
                { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "42CFRPart2" },
                { "system": "urn:hipaa-sdk:consent-kind", "code": "Part2" } ] },
              "provision": {
                "type": "permit",
                "period": { "start": "2026-02-01", "end": "2026-12-31" },
                "purpose": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT" }]
              }
            }
            """;
        TimeZoneInfo minusFive = TimeZoneInfo.CreateCustomTimeZone("test-05", TimeSpan.FromHours(-5), "test-05", "test-05");

        PolicyConsent consent = new FhirConsentMapper(minusFive).FromFhir(JsonSerializer.Deserialize<FhirConsent>(json, FhirJson));

        Assert.Equal(("ext-17", "p9", ConsentKind.Part2), (consent.Id, consent.PatientId, consent.Kind));
        Assert.Equal([PolicyConsent.AnyRecipient], consent.Recipients);
        Assert.Equal([DataCategory.All], consent.Categories);
        Assert.Equal(new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.FromHours(-5)), consent.From);
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.FromHours(-5)), consent.Until);
        Assert.True(consent.IsValidAt(new DateTimeOffset(2026, 12, 31, 23, 59, 59, TimeSpan.FromHours(-5))));
        Assert.False(consent.IsValidAt(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.FromHours(-5))));
    }

    public static TheoryData<string, string, Action<FhirConsent>> Unmappable() => new()
    {
        { "draft", "Consent.status", c => c.Status = FhirConsent.ConsentState.Draft },
        { "proposed", "Consent.status", c => c.Status = FhirConsent.ConsentState.Proposed },
        { "rejected", "Consent.status", c => c.Status = FhirConsent.ConsentState.Rejected },
        { "entered in error", "Consent.status", c => c.Status = FhirConsent.ConsentState.EnteredInError },
        { "no status", "Consent.status", c => c.Status = null },
        { "research scope", "Consent.scope", c => c.Scope = new CodeableConcept("http://terminology.hl7.org/CodeSystem/consentscope", "research") },
        { "no identifier or id", "Consent.identifier", c => { c.Identifier.Clear(); c.Id = null; } },
        { "no kind", "Consent.policyRule", c => c.PolicyRule.Coding.RemoveAll(k => k.System == "urn:hipaa-sdk:consent-kind") },
        { "no policy rule", "Consent.policyRule", c => c.PolicyRule = null },
        { "unknown kind", "Consent.policyRule", c => c.PolicyRule.Coding.Find(k => k.System == "urn:hipaa-sdk:consent-kind").Code = "Research" },
        { "numeric kind", "Consent.policyRule", c => c.PolicyRule.Coding.Find(k => k.System == "urn:hipaa-sdk:consent-kind").Code = "1" },
        { "two kinds", "Consent.policyRule", c => c.PolicyRule.Coding.Add(new Coding("urn:hipaa-sdk:consent-kind", "Part2Tpo")) },
        { "Part 2 kind, HIPAA rule", "Consent.policyRule", c => c.PolicyRule.Coding.Add(new Coding(ConsentPolicy, "hipaa-auth")) },
        { "no patient", "Consent.patient", c => c.Patient = null },
        { "patient by another system", "Consent.patient", c => c.Patient = new ResourceReference { Identifier = new Identifier("http://hospital.example/mrn", "42") } },
        { "patient as a group", "Consent.patient", c => c.Patient = new ResourceReference("Group/g1") },
        { "modifier extension", "Consent.modifierExtension", c => c.ModifierExtension.Add(new Extension("http://example.org/x", new FhirBoolean(true))) },
        { "no provision", "Consent.provision", c => c.Provision = null },
        { "deny provision", "Consent.provision.type", c => c.Provision.Type = FhirConsent.ConsentProvisionType.Deny },
        { "provision modifier extension", "Consent.provision.modifierExtension", c => c.Provision.ModifierExtension.Add(new Extension("http://example.org/x", new FhirBoolean(true))) },
        { "action", "Consent.provision.action", c => c.Provision.Action.Add(new CodeableConcept("http://terminology.hl7.org/CodeSystem/consentaction", "disclose")) },
        { "security label", "Consent.provision.securityLabel", c => c.Provision.SecurityLabel.Add(new Coding(ActCode, "SUD")) },
        { "code", "Consent.provision.code", c => c.Provision.Code.Add(new CodeableConcept("http://loinc.org", "11506-3")) },
        { "data period", "Consent.provision.dataPeriod", c => c.Provision.DataPeriod = new Period { Start = "2025-01-01" } },
        { "data", "Consent.provision.data", c => c.Provision.Data.Add(new FhirConsent.provisionDataComponent { Meaning = FhirConsent.ConsentDataMeaning.Instance, Reference = new ResourceReference("Observation/1") }) },
        { "no period", "Consent.provision.period", c => c.Provision.Period = null },
        { "no start", "Consent.provision.period.start", c => c.Provision.Period.Start = null },
        { "end before start", "Consent.provision.period", c => c.Provision.Period.End = "2020-01-01" },
        { "actor of another role", "Consent.provision.actor[0].role", c => c.Provision.Actor[0].Role = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "AUT") },
        { "actor by reference", "Consent.provision.actor[0].reference", c => c.Provision.Actor[0].Reference = new ResourceReference("Organization/o1") },
        { "actor named *", "Consent.provision.actor[0].reference", c => c.Provision.Actor[0].Reference.Identifier.Value = "*" },
        { "no purpose", "Consent.provision.purpose", c => c.Provision.Purpose.Clear() },
        { "purpose of another system", "Consent.provision.purpose[0]", c => c.Provision.Purpose[0].System = "http://example.org/purposes" },
        { "class of another system", "Consent.provision.class[0]", c => c.Provision.Class[0] = new Coding("http://hl7.org/fhir/resource-types", "Observation") },
        { "class *", "Consent.provision.class[0]", c => c.Provision.Class[0].Code = "*" },
        { "active with nested provision", "Consent.provision.provision", c => c.Provision.Provision.Add(new FhirConsent.provisionComponent { Type = FhirConsent.ConsentProvisionType.Deny, Period = new Period { Start = "2026-06-01T00:00:00Z" } }) },
        { "inactive without revocation", "Consent.provision.provision", c => c.Status = FhirConsent.ConsentState.Inactive },
        {
            "revocation that denies one purpose only", "Consent.provision.provision", c =>
            {
                c.Status = FhirConsent.ConsentState.Inactive;
                c.Provision.Provision.Add(new FhirConsent.provisionComponent
                {
                    Type = FhirConsent.ConsentProvisionType.Deny,
                    Period = new Period { Start = "2026-06-01T00:00:00Z" },
                    Purpose = [new Coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", "TREAT")],
                });
            }
        },
    };

    [Theory]
    [MemberData(nameof(Unmappable))]
    public void FromFhir_WhatItCannotMapFaithfully_IsRefusedNamingTheElement(string name, string element, Action<FhirConsent> change)
    {
        FhirConsent fhir = _mapper.ToFhir(ConsentSamples.Of(ConsentKind.Part2));
        _mapper.FromFhir(fhir);
        change(fhir);

        FhirConsentImportException refused = Assert.Throws<FhirConsentImportException>(() => _mapper.FromFhir(fhir));

        Assert.True(element == refused.Element, $"{name}: expected {element}, got {refused.Element} ({refused.Message})");
        Assert.DoesNotContain("p1", refused.Message, StringComparison.Ordinal);
    }

    private static FhirConsent OverTheWire(FhirConsent resource) =>
        JsonSerializer.Deserialize<FhirConsent>(JsonSerializer.Serialize(resource, FhirJson), FhirJson);

    private static string FhirConsentJson(FhirConsent resource) => JsonSerializer.Serialize(resource, FhirJson);

    private static AccessRequest Disclosure(PolicyConsent consent) => new()
    {
        Actor = new Actor("u-ther-1", [WellKnownRoles.Therapist], organization: "practice", careTeamOf: ["p1"]),
        PatientId = "p1",
        Category = DataCategory.ProgressNote,
        Labels = [SensitivityLabel.SubstanceUseDisorder],
        Action = PhiAction.Disclose,
        Purpose = PurposeOfUse.Treatment,
        Recipient = "org-hospital",
        Consents = [consent],
        At = ConsentSamples.From.AddDays(10),
    };
}
