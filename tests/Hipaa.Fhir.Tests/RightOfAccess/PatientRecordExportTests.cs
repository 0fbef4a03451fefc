using Hipaa.Auditing;
using Hipaa.Fhir;
using Hipaa.Policy;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

// The FHIR model marks every element nullable; a missing element fails these tests with a NullReferenceException.
#nullable disable warnings

namespace Hipaa.Fhir.Tests.RightOfAccess;

/// <summary>
/// The right-of-access export decides every record with the policy engine: what the patient receives, what is withheld and
/// why, what is refused outright, and the disclosure it records — over sources in memory (the EF Core path is in
/// <see cref="PatientRecordExportEfCoreTests"/>).
/// </summary>
public sealed class PatientRecordExportTests
{
    private static readonly Guid Patient = Guid.Parse("6f1c2a8e-0d3b-4c51-9a7e-2b8d4e6f1a01");
    private static readonly Guid OtherPatient = Guid.Parse("0b9e7d6c-5a4f-4e3d-8c2b-1a0f9e8d7c02");
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 15, 0, 0, TimeSpan.Zero);

    private readonly RecordingAuditSink _audit = new();

    private static string P => Patient.ToString("D");

    private static AccessContext AsThePatient(Guid? patient = null) =>
        new(new Actor((patient ?? Patient).ToString("D"), [WellKnownRoles.Patient], "practice"), PurposeOfUse.PatientRequest)
        { ClientAddress = "203.0.113.7", RequestId = "req-1", ClientApplication = "patient-portal" };

    private static AccessContext AsRepresentative() =>
        new(new Actor("u-parent-1", [WellKnownRoles.Patient], "practice", representativeOf: [P]), PurposeOfUse.PatientRequest);

    private static Member Demographics(Guid patient) => new() { Id = patient, Name = "Alex Doe", BirthDate = "2011-04-05" };

    private static CounselingSession Session(Guid patient) => new() { Id = Guid.NewGuid(), MemberId = patient, Summary = "attended group, no use reported" };

    private static MedicationOrder Medication(Guid patient) => new() { Id = Guid.NewGuid(), MemberId = patient, Drug = "buprenorphine", Dose = "8 mg daily" };

    private static ProcessNote PsychotherapyNote(Guid patient) => new() { Id = Guid.NewGuid(), MemberId = patient, AuthorId = "u-ther-1", Text = "PROCESS-NOTE-CONTENT" };

    [Fact]
    public async Task Export_ThePatientsOwnRecords_IncludesEveryPermittedRecordAndWithholdsThePsychotherapyNote()
    {
        int mappedBefore = RecordMapping.ProcessNotesMapped;
        var export = Export(new InMemorySource(Demographics(Patient), Session(Patient), Medication(Patient), PsychotherapyNote(Patient), PsychotherapyNote(Patient)));

        Bundle bundle;
        using (AccessContext.Begin(AsThePatient()))
        {
            bundle = await export.ExportAsync(P);
        }

        Assert.Equal(Bundle.BundleType.Collection, bundle.Type);
        Assert.Equal(["OperationOutcome", "Patient", "Observation", "MedicationStatement"], bundle.Entry.Select(e => e.Resource.TypeName));
        Assert.All(bundle.Entry, e => Assert.StartsWith("urn:uuid:", e.FullUrl, StringComparison.Ordinal));
        Assert.Equal(Now, bundle.Timestamp);
        Assert.Equal(mappedBefore, RecordMapping.ProcessNotesMapped);
        Assert.DoesNotContain("PROCESS-NOTE-CONTENT", RecordMapping.Json(bundle), StringComparison.Ordinal);

        var issue = Assert.Single(((OperationOutcome)bundle.Entry[0].Resource).Issue);
        Assert.Equal((OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Suppressed), (issue.Severity, issue.Code));
        Assert.Contains(issue.Details.Coding, c => c.System == "urn:hipaa-sdk:policy-rule" && c.Code == "patient.notes-excluded");
        Assert.Contains(issue.Details.Coding, c => c.System == "urn:hipaa-sdk:data-category" && c.Code == "PsychotherapyNote");
        Assert.StartsWith("2 records of the category PsychotherapyNote are not included", issue.Details.Text, StringComparison.Ordinal);
        Assert.Contains("45 CFR 164.524(a)(1)(i)", issue.Details.Text, StringComparison.Ordinal);
        Assert.Contains("not subject to review (45 CFR 164.524(a)(2)(i))", issue.Details.Text, StringComparison.Ordinal);
        Assert.Contains("45 CFR 164.524(d)(2)(iii)", issue.Details.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_ThePatientsPart2Record_IsIncludedLabelledAsPart2WithoutTheRedisclosureRefrain()
    {
        var export = Export(new InMemorySource(Demographics(Patient), Session(Patient)));

        Bundle bundle;
        using (AccessContext.Begin(AsThePatient()))
        {
            bundle = await export.ExportAsync(P);
        }

        // 42 CFR 2.23: patients may see their own Part 2 records; the 2.32 notice is for redisclosures, not for the patient.
        var observation = bundle.Entry.Select(e => e.Resource).OfType<Observation>().Single();
        Assert.Equal(["R", "SUD", "42CFRPart2"], observation.Meta.Security.Select(c => c.Code));
        Assert.Equal(["N"], bundle.Entry.Select(e => e.Resource).OfType<Hl7.Fhir.Model.Patient>().Single().Meta.Security.Select(c => c.Code));
        Assert.Equal(["R", "SUD", "42CFRPart2"], bundle.Meta.Security.Select(c => c.Code));
        Assert.DoesNotContain(bundle.Entry, e => e.Resource is OperationOutcome);
    }

    [Fact]
    public async Task Export_RecordsOneDisclosureToThePatientWithTheCategoriesLabelsReferencesAndWhatWasWithheld()
    {
        var session = Session(Patient);
        var export = Export(new InMemorySource(Demographics(Patient), session, PsychotherapyNote(Patient)));

        Bundle bundle;
        using (AccessContext.Begin(AsThePatient()))
        {
            bundle = await export.ExportAsync(P);
        }

        var record = Assert.Single(_audit.Records);
        Assert.Equal((AuditAction.Disclose, AuditOutcome.Success, "PATRQT", P, P, P), (record.Action, record.Outcome, record.PurposeOfUse, record.ActorId, record.PatientId, record.Recipient));
        Assert.Equal(["Demographics", "ProgressNote"], record.Categories);
        Assert.Equal(["SUD"], record.Labels);
        Assert.Equal(["Patient/" + P, "Observation/" + session.Id.ToString("D")], record.RecordKeys);
        Assert.Equal(2, record.RowCount);
        Assert.Equal("Permit patient.right-of-access; withheld: 1 PsychotherapyNote (patient.notes-excluded)", record.Decision);
        Assert.Equal(
            $"Right of access (45 CFR 164.524): FHIR Bundle {bundle.Identifier.Value} to the patient: 2 record(s) (Demographics, ProgressNote); withheld: 1 PsychotherapyNote (patient.notes-excluded)",
            record.Description);
        Assert.Equal(("203.0.113.7", "req-1", "patient-portal", Now), (record.ClientAddress, record.RequestId, record.ClientApplication, record.OccurredAt));
        Assert.DoesNotContain("attended group", record.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_ByAPersonalRepresentative_IncludesThePatientsRecordsAndRecordsTheRepresentativeAsSuch()
    {
        var export = Export(new InMemorySource(Demographics(Patient), Session(Patient), PsychotherapyNote(Patient)));

        Bundle bundle;
        using (AccessContext.Begin(AsRepresentative()))
        {
            bundle = await export.ExportAsync(P);
        }

        Assert.Equal(["OperationOutcome", "Patient", "Observation"], bundle.Entry.Select(e => e.Resource.TypeName));
        var record = Assert.Single(_audit.Records);
        Assert.Equal(("u-parent-1", "u-parent-1", P), (record.ActorId, record.Recipient, record.PatientId));
        Assert.StartsWith("Permit patient.personal-representative;", record.Decision, StringComparison.Ordinal);
        Assert.Contains("to u-parent-1, the patient's personal representative (45 CFR 164.502(g))", record.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_SourceReturnsAnotherPatientsRecord_FailsAndNothingIsDisclosed()
    {
        var export = Export(new InMemorySource(Demographics(Patient)), new InMemorySource(Session(Patient), Session(OtherPatient)));

        using (AccessContext.Begin(AsThePatient()))
        {
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => export.ExportAsync(P));
            Assert.Contains("InMemorySource returned a record of another patient", failure.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(OtherPatient.ToString("D"), failure.Message, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Empty(_audit.Records);
    }

    public static TheoryData<string> ForeignSubjects() => new()
    {
        "Patient/" + OtherPatient.ToString("D"),
        "https://ehr.example.org/fhir/Patient/" + OtherPatient.ToString("D") + "/_history/2",
        "Patient/" + OtherPatient.ToString("N").ToUpperInvariant() + "x",
    };

    [Theory]
    [MemberData(nameof(ForeignSubjects))]
    public async Task Export_MappingReferencesAnotherPatient_FailsAndNothingIsDisclosed(string reference)
    {
        var session = Session(Patient);
        var export = Export(new MappedSource(() => PatientRecord.From(session, s => new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "11506-3"),
            Subject = new ResourceReference(reference),
        })));

        using (AccessContext.Begin(AsThePatient()))
        {
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => export.ExportAsync(P));
            Assert.Contains("names another patient at Observation.subject", failure.Message, StringComparison.Ordinal);
        }

        Assert.Empty(_audit.Records);
    }

    [Fact]
    public async Task Export_MappingNamesAnotherPatientByIdentifierOrAsAContainedPatient_Fails()
    {
        var session = Session(Patient);
        var byIdentifier = Export(new MappedSource(() => PatientRecord.From(session, s => new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "11506-3"),
            Subject = new ResourceReference { Identifier = new Identifier("urn:hipaa-sdk:patient", OtherPatient.ToString("D")) },
        })));
        var contained = Export(new MappedSource(() => PatientRecord.From(session, s => new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "11506-3"),
            Contained = [new Hl7.Fhir.Model.Patient { Id = OtherPatient.ToString("D") }],
            Subject = new ResourceReference("#" + OtherPatient.ToString("D")),
        })));

        using (AccessContext.Begin(AsThePatient()))
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => byIdentifier.ExportAsync(P));
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => contained.ExportAsync(P));
            Assert.Contains("Observation.contained[0] (a Patient resource of another patient)", failure.Message, StringComparison.Ordinal);
        }

        Assert.Empty(_audit.Records);
    }

    [Fact]
    public async Task Export_MappingReferencesThePatientInAnotherGuidSpellingOrByIdentifier_IsAccepted()
    {
        var session = Session(Patient);
        var export = Export(new MappedSource(() => PatientRecord.From(session, s => new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "11506-3"),
            Subject = new ResourceReference("Patient/" + Patient.ToString("D").ToUpperInvariant()) { Identifier = new Identifier("urn:hipaa-sdk:patient", P) },
            Performer = [new ResourceReference("Practitioner/u-ther-1")],
        })));

        using (AccessContext.Begin(AsThePatient()))
        {
            Bundle bundle = await export.ExportAsync(P);
            Assert.Single(bundle.Entry);
        }
    }

    [Fact]
    public async Task Export_RequestedByAnotherPatient_IsRefusedBeforeAnySourceIsReadAndTheRefusalIsAudited()
    {
        var source = new InMemorySource(Demographics(Patient));
        var export = Export(source);

        using (AccessContext.Begin(AsThePatient(OtherPatient)))
        {
            var refusal = await Assert.ThrowsAsync<PhiAccessDeniedException>(() => export.ExportAsync(P));
            Assert.Equal("patient.own-record-only", refusal.Decision.Rule.Id);
        }

        Assert.Equal(0, source.Reads);
        var record = Assert.Single(_audit.Records);
        Assert.Equal((AuditAction.Disclose, AuditOutcome.Denied, "Deny patient.own-record-only", P, OtherPatient.ToString("D")), (record.Action, record.Outcome, record.Decision, record.PatientId, record.ActorId));
    }

    [Fact]
    public async Task Export_RequestedByAClinicianOrASharedAccount_IsRefusedBeforeAnySourceIsRead()
    {
        var source = new InMemorySource(Demographics(Patient));
        var export = Export(source);
        var clinician = new AccessContext(new Actor("u-ther-1", [WellKnownRoles.Therapist], "practice", [P]), PurposeOfUse.PatientRequest);
        var shared = new AccessContext(new Actor(P, [WellKnownRoles.Patient], "practice", isShared: true), PurposeOfUse.PatientRequest);

        using (AccessContext.Begin(clinician))
        {
            Assert.Equal("purpose.role-fit", (await Assert.ThrowsAsync<PhiAccessDeniedException>(() => export.ExportAsync(P))).Decision.Rule.Id);
        }

        using (AccessContext.Begin(shared))
        {
            Assert.Equal("identity.shared-account", (await Assert.ThrowsAsync<PhiAccessDeniedException>(() => export.ExportAsync(P))).Decision.Rule.Id);
        }

        Assert.Equal(0, source.Reads);
        Assert.Equal([AuditOutcome.Denied, AuditOutcome.Denied], _audit.Records.Select(r => r.Outcome));
    }

    [Fact]
    public async Task Export_AccessContextScopedToAnotherPatient_IsRefused()
    {
        var source = new InMemorySource(Demographics(Patient));
        var export = Export(source);
        var scopedElsewhere = new AccessContext(new Actor(P, [WellKnownRoles.Patient], "practice"), PurposeOfUse.PatientRequest) { PatientScope = [OtherPatient.ToString("D")] };

        using (AccessContext.Begin(scopedElsewhere))
        {
            await Assert.ThrowsAsync<PhiAccessDeniedException>(() => export.ExportAsync(P));
        }

        Assert.Equal(0, source.Reads);
        Assert.Equal(AuditOutcome.Denied, Assert.Single(_audit.Records).Outcome);
    }

    [Fact]
    public async Task Export_WhenTheAuditStoreIsDown_ReturnsNoBundle()
    {
        var export = Export(new InMemorySource(Demographics(Patient), Session(Patient)));
        _audit.Down = true;

        Bundle bundle = null;
        using (AccessContext.Begin(AsThePatient()))
        {
            await Assert.ThrowsAsync<AuditUnavailableException>(async () => bundle = await export.ExportAsync(P));
        }

        Assert.Null(bundle);
    }

    [Fact]
    public async Task Export_WithoutAnAccessContextOrUnderAnotherPurpose_FailsBeforeAnySourceIsRead()
    {
        var source = new InMemorySource(Demographics(Patient));
        var export = Export(source);

        await Assert.ThrowsAsync<InvalidOperationException>(() => export.ExportAsync(P));
        using (AccessContext.Begin(new AccessContext(new Actor(P, [WellKnownRoles.Patient], "practice"), PurposeOfUse.Treatment)))
        {
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => export.ExportAsync(P));
            Assert.Contains("PATRQT", failure.Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, source.Reads);
        Assert.Empty(_audit.Records);
    }

    [Fact]
    public async Task Export_WithoutSources_FailsInsteadOfReturningAnEmptyCopy()
    {
        var export = Export();

        using (AccessContext.Begin(AsThePatient()))
        {
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => export.ExportAsync(P));
            Assert.Contains("AddPatientRecordSource", failure.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Export_TwoRecordsMappedToTheSameResourceId_Fails()
    {
        var export = Export(new InMemorySource(Demographics(Patient), Demographics(Patient)));

        using (AccessContext.Begin(AsThePatient()))
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => export.ExportAsync(P));
        }

        Assert.Empty(_audit.Records);
    }

    [Fact]
    public async Task Export_CatalogThatMasksAPatientCategory_FailsRatherThanExportingUnmaskedFields()
    {
        RoleCatalog catalog = RoleCatalog.CreateDefault().SetFieldMask(WellKnownRoles.Patient, DataCategory.Medication, FieldMask.Only("Drug"));
        var export = Export(new PolicyEngine(catalog), new InMemorySource(Medication(Patient)));

        using (AccessContext.Begin(AsThePatient()))
        {
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => export.ExportAsync(P));
            Assert.Contains("field mask", failure.Message, StringComparison.Ordinal);
        }

        Assert.Empty(_audit.Records);
    }

    [Fact]
    public async Task Export_WithABaseUrlAndAComplaintContact_UsesResolvableFullUrlsAndNamesTheContact()
    {
        var options = new PatientRecordExportOptions { FhirBaseUrl = new Uri("https://ehr.example.org/fhir/"), ComplaintContact = "Privacy Officer, 555-0100" };
        var export = new PatientRecordExport([new InMemorySource(Demographics(Patient), PsychotherapyNote(Patient))], _audit, PolicyEngine.Default, new FixedTime(Now), options);

        Bundle bundle;
        using (AccessContext.Begin(AsThePatient()))
        {
            bundle = await export.ExportAsync(P);
        }

        Assert.Equal("https://ehr.example.org/fhir/Patient/" + P, bundle.Entry.Single(e => e.Resource is Hl7.Fhir.Model.Patient).FullUrl);
        Assert.StartsWith("urn:uuid:", bundle.Entry.Single(e => e.Resource is OperationOutcome).FullUrl, StringComparison.Ordinal);
        Assert.Contains("(Privacy Officer, 555-0100)", ((OperationOutcome)bundle.Entry[0].Resource).Issue[0].Details.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_OnlyWithheldRecords_ReturnsTheNoticeAndRecordsADisclosureOfNothing()
    {
        var export = Export(new InMemorySource(PsychotherapyNote(Patient)));

        Bundle bundle;
        using (AccessContext.Begin(AsThePatient()))
        {
            bundle = await export.ExportAsync(P);
        }

        Assert.IsType<OperationOutcome>(Assert.Single(bundle.Entry).Resource);
        Assert.Null(bundle.Meta);
        var record = Assert.Single(_audit.Records);
        Assert.Equal((0, "withheld: 1 PsychotherapyNote (patient.notes-excluded)"), (record.RowCount, record.Decision));
        Assert.Empty(record.Categories);
    }

    private PatientRecordExport Export(params IPatientRecordSource[] sources) => Export(PolicyEngine.Default, sources);

    private PatientRecordExport Export(PolicyEngine engine, params IPatientRecordSource[] sources) =>
        new(sources, _audit, engine, new FixedTime(Now), new PatientRecordExportOptions());

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
