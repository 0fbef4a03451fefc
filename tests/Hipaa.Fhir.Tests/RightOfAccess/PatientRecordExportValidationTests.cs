using Hipaa.Auditing;
using Hipaa.Fhir;
using Hipaa.Policy;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Xunit.Abstractions;

#nullable disable warnings

namespace Hipaa.Fhir.Tests.RightOfAccess;

/// <summary>
/// The Bundle of a right-of-access export — every kind of entry, the withheld notice, the labels, with and without a base
/// URL — is valid base FHIR R4 under the Firely validator (errors fail; warnings go to the test output), and the HL7 codes
/// it writes are defined in the R4 terminology.
/// </summary>
public sealed class PatientRecordExportValidationTests(R4ValidatorFixture r4, ITestOutputHelper output) : IClassFixture<R4ValidatorFixture>
{
    private static readonly Guid Patient = Guid.Parse("8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b05");

    [Theory]
    [InlineData(null)]
    [InlineData("https://ehr.example.org/fhir")]
    public async Task Export_BundleWithEveryKindOfEntryAndAWithheldNotice_IsValidBaseR4(string? baseUrl)
    {
        Bundle bundle = await ExportAsync(new PatientRecordExportOptions { FhirBaseUrl = baseUrl is null ? null : new Uri(baseUrl), ComplaintContact = "Privacy Officer, 555-0100" });

        Assert.Equal(["OperationOutcome", "Patient", "Observation", "MedicationStatement"], bundle.Entry.Select(e => e.Resource.TypeName));
        (string[] errors, string[] warnings) = r4.Validate(bundle);
        foreach (string warning in warnings)
        {
            output.WriteLine("warning: " + warning);
        }

        Assert.Empty(errors);
    }

    [Fact]
    public void Validate_BundleWithAnInvalidEntry_ReportsErrors()
    {
        // The check above is not vacuous: the validator looks into the entries of a collection Bundle.
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Collection,
            Entry = [new Bundle.EntryComponent { FullUrl = "urn:uuid:" + Guid.NewGuid().ToString("D"), Resource = new Observation { Subject = new ResourceReference("Patient/p1") } }],
        };

        Assert.NotEmpty(r4.Validate(bundle).Errors);
    }

    [Fact]
    public async Task Export_SecurityLabelsOfTheBundleAndItsEntries_AreDefinedInTheR4Terminology()
    {
        Bundle bundle = await ExportAsync(new PatientRecordExportOptions());

        Coding[] labels = [.. bundle.Meta.Security, .. bundle.Entry.SelectMany(e => e.Resource.Meta?.Security ?? [])];
        Assert.NotEmpty(labels);
        foreach (Coding label in labels)
        {
            (bool defined, string display) = await r4.LookupAsync(label.System, label.Code);
            Assert.True(defined, $"{label.System}#{label.Code} is not defined in R4");
            Assert.True(label.Display is null || label.Display == display, $"{label.Code}: display '{label.Display}', R4 says '{display}'");
        }
    }

    private static async Task<Bundle> ExportAsync(PatientRecordExportOptions options)
    {
        var source = new InMemorySource(
            new Member { Id = Patient, Name = "Alex Doe", BirthDate = "2011-04-05" },
            new CounselingSession { Id = Guid.NewGuid(), MemberId = Patient, Summary = "attended group" },
            new MedicationOrder { Id = Guid.NewGuid(), MemberId = Patient, Drug = "buprenorphine", Dose = "8 mg daily" },
            new ProcessNote { Id = Guid.NewGuid(), MemberId = Patient, AuthorId = "u-ther-1", Text = "process" });
        var export = new PatientRecordExport([source], new RecordingAuditSink(), PolicyEngine.Default, TimeProvider.System, options);
        using (AccessContext.Begin(new AccessContext(new Actor(Patient.ToString("D"), [WellKnownRoles.Patient], "practice"), PurposeOfUse.PatientRequest)))
        {
            return await export.ExportAsync(Patient.ToString("D"));
        }
    }
}
