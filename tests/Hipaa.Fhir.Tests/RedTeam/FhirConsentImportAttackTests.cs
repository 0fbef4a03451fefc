using Hipaa.Policy;
using Hl7.Fhir.Model;
using FhirConsent = Hl7.Fhir.Model.Consent;
using PolicyConsent = Hipaa.Policy.Consent;

// The FHIR model marks every element nullable; a missing element fails these tests with a NullReferenceException.
#nullable disable warnings

namespace Hipaa.Fhir.Tests.RedTeam;

/// <summary>
/// FHIR R4 Consent resources crafted to import into a consent wider than the resource says. The importer maps the
/// patient from <c>patient.identifier</c> (the SDK's system) before <c>patient.reference</c>; a resource whose two name
/// different patients was imported as a consent of the identifier's patient, although the reference — what a FHIR server
/// resolves and shows — names another: a consent given by one patient opened another patient's records.
/// </summary>
public sealed class FhirConsentImportAttackTests
{
    private static readonly DateTimeOffset From = new(2026, 1, 5, 9, 30, 0, TimeSpan.Zero);
    private readonly FhirConsentMapper _mapper = new();

    [Fact]
    public void FromFhir_PatientIdentifierAndReferenceNamingDifferentPatients_IsRefused()
    {
        FhirConsent fhir = _mapper.ToFhir(Part2Of("p1"));
        fhir.Patient.Reference = "Patient/p2"; // the patient who gave the consent, as the FHIR server resolves it

        FhirConsentImportException refused = Assert.Throws<FhirConsentImportException>(() => _mapper.FromFhir(fhir));

        Assert.Equal("Consent.patient", refused.Element);
        Assert.DoesNotContain("p1", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromFhir_PatientIdentifierAndReferenceNamingTheSamePatient_IsImported()
    {
        Assert.Equal("p1", _mapper.FromFhir(_mapper.ToFhir(Part2Of("p1"))).PatientId);
    }

    [Fact]
    public void FromFhir_PatientByIdentifierWithAnAbsoluteReference_IsImportedByTheIdentifier()
    {
        // A server's absolute URL is no SDK patient id: nothing contradicts the identifier.
        FhirConsent fhir = _mapper.ToFhir(Part2Of("p1"));
        fhir.Patient.Reference = "https://fhir.example/Patient/123";

        Assert.Equal("p1", _mapper.FromFhir(fhir).PatientId);
    }

    private static PolicyConsent Part2Of(string patientId) =>
        new("c-part2", patientId, ConsentKind.Part2, ["org-hospital"], [PurposeOfUse.Treatment], [DataCategory.ProgressNote], From, From.AddYears(1));
}
