using Hipaa.Auditing;
using Hipaa.EfCore.Auditing.Reports;
using Hipaa.Fhir;
using Hipaa.Policy;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

#nullable disable warnings

namespace Hipaa.Fhir.Tests.RightOfAccess;

/// <summary>
/// The right-of-access export of a seeded patient through EF Core (field encryption, auditing, policy enforcement): the
/// Bundle's entries, the withheld notice, the labels, Firely validation, and the audit trail — one disclosure to the
/// patient and a read record for every entity read, all attributed to the patient — on SQLite and PostgreSQL; with the
/// audit store down, nothing is exported.
/// </summary>
public abstract class PatientRecordExportEfCoreTests : IDisposable
{
    private readonly ExportDatabase _database;
    private readonly R4ValidatorFixture _r4;
    private readonly ITestOutputHelper _output;
    private readonly Guid _patient = Guid.NewGuid();
    private readonly Guid _otherPatient = Guid.NewGuid();
    private readonly Guid[] _sessions = [Guid.NewGuid(), Guid.NewGuid()];
    private readonly Guid _medication = Guid.NewGuid();

    protected PatientRecordExportEfCoreTests(string provider, R4ValidatorFixture r4, ITestOutputHelper output)
    {
        _r4 = r4;
        _output = output;
        _database = new ExportDatabase(provider);
        using var seed = new ExportHost(_database, enforce: false);
        using IServiceScope scope = seed.CreateScope();
        using (AccessContext.Begin(AccessContext.ForSystem("seed", PurposeOfUse.Operations)))
        {
            var db = scope.ServiceProvider.GetRequiredService<RecordsDb>();
            db.Add(new Member { Id = _patient, Name = "Alex Doe", BirthDate = "2011-04-05" });
            db.AddRange(_sessions.Select(id => new CounselingSession { Id = id, MemberId = _patient, Summary = "SESSION-SUMMARY attended group" }));
            db.Add(new MedicationOrder { Id = _medication, MemberId = _patient, Drug = "buprenorphine", Dose = "8 mg daily" });
            db.Add(new ProcessNote { Id = Guid.NewGuid(), MemberId = _patient, AuthorId = "u-ther-1", Text = "PROCESS-NOTE-CONTENT" });
            db.Add(new Member { Id = _otherPatient, Name = "Other Person" });
            db.Add(new CounselingSession { Id = Guid.NewGuid(), MemberId = _otherPatient, Summary = "OTHER-PATIENT-SUMMARY" });
            db.SaveChanges();
        }
    }

    private string Patient => _patient.ToString("D");

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Export_SeededPatient_BundleHoldsTheirRecordsWithholdsThePsychotherapyNoteAndIsValidR4()
    {
        int mappedBefore = RecordMapping.ProcessNotesMapped;
        using var host = new ExportHost(_database);

        Bundle bundle = await ExportAsync(host, AsThePatient());

        Assert.Equal(Bundle.BundleType.Collection, bundle.Type);
        Assert.Equal(["OperationOutcome", "Patient", "Observation", "Observation", "MedicationStatement"], bundle.Entry.Select(e => e.Resource.TypeName));
        Resource[] resources = [.. bundle.Entry.Select(e => e.Resource)];
        Assert.Equal(Patient, resources.OfType<Hl7.Fhir.Model.Patient>().Single().Id);
        Assert.Equal(_sessions.Select(s => s.ToString("D")).Order(StringComparer.Ordinal), resources.OfType<Observation>().Select(o => o.Id).Order(StringComparer.Ordinal));
        Assert.Equal(_medication.ToString("D"), resources.OfType<MedicationStatement>().Single().Id);
        Assert.All(bundle.Entry.Select(e => e.Resource).OfType<Observation>(), o =>
        {
            Assert.Equal("SESSION-SUMMARY attended group", ((FhirString)o.Value).Value); // decrypted for the patient
            Assert.Equal(["R", "SUD", "42CFRPart2"], o.Meta.Security.Select(c => c.Code));
        });
        Assert.Equal("2011-04-05", bundle.Entry.Select(e => e.Resource).OfType<Hl7.Fhir.Model.Patient>().Single().BirthDate);
        Assert.Equal(["R", "SUD", "42CFRPart2"], bundle.Meta.Security.Select(c => c.Code));

        var issue = Assert.Single(((OperationOutcome)bundle.Entry[0].Resource).Issue);
        Assert.Equal(OperationOutcome.IssueType.Suppressed, issue.Code);
        Assert.Contains(issue.Details.Coding, c => c.Code == "patient.notes-excluded");
        Assert.StartsWith("1 record of the category PsychotherapyNote is not included", issue.Details.Text, StringComparison.Ordinal);

        string json = RecordMapping.Json(bundle);
        Assert.DoesNotContain("PROCESS-NOTE-CONTENT", json, StringComparison.Ordinal);
        Assert.DoesNotContain("OTHER-PATIENT-SUMMARY", json, StringComparison.Ordinal);
        Assert.DoesNotContain(_otherPatient.ToString("D"), json, StringComparison.Ordinal);
        Assert.Equal(mappedBefore, RecordMapping.ProcessNotesMapped);

        (string[] errors, string[] warnings) = _r4.Validate(bundle);
        foreach (string warning in warnings)
        {
            _output.WriteLine("warning: " + warning);
        }

        Assert.Empty(errors);
    }

    [Fact]
    public async Task Export_SeededPatient_TheTrailHoldsOneDisclosureToThePatientAndARecordOfEveryReadAttributedToThePatient()
    {
        using var host = new ExportHost(_database);
        DateTimeOffset start = DateTimeOffset.UtcNow.AddMinutes(-1);

        Bundle bundle = await ExportAsync(host, AsThePatient());

        IReadOnlyList<AuditRecord> trail = await TrailAsync(host, start);
        AuditRecord[] byPatient = [.. trail.Where(r => r.ActorId == Patient)];
        Assert.All(byPatient, r => Assert.Equal(("PATRQT", "203.0.113.7", "patient-portal", Patient), (r.PurposeOfUse, r.ClientAddress, r.ClientApplication, r.PatientId)));

        AuditRecord[] reads = [.. byPatient.Where(r => r.Action == AuditAction.Read)];
        Assert.Equal(["CounselingSession", "MedicationOrder", "Member", "ProcessNote"], reads.Select(r => r.Entity).Order(StringComparer.Ordinal));
        Assert.All(reads.Where(r => r.Entity != "ProcessNote"), r => Assert.Equal((AuditOutcome.Success, "Permit patient.right-of-access"), (r.Outcome, r.Decision)));
        AuditRecord noteRead = reads.Single(r => r.Entity == "ProcessNote");
        Assert.Equal((AuditOutcome.Denied, "Deny patient.notes-excluded"), (noteRead.Outcome, noteRead.Decision));
        Assert.Contains("Text", noteRead.RedactedFields);

        AuditRecord disclosure = Assert.Single(byPatient, r => r.Action == AuditAction.Disclose);
        Assert.Equal((AuditOutcome.Success, Patient, "Bundle", 4), (disclosure.Outcome, disclosure.Recipient, disclosure.Entity, disclosure.RowCount));
        Assert.Equal(["Demographics", "ProgressNote", "Medication"], disclosure.Categories);
        Assert.Equal(["SUD"], disclosure.Labels);
        Assert.Equal(
            ["MedicationStatement/" + _medication.ToString("D"), .. _sessions.Select(s => "Observation/" + s.ToString("D")).Order(StringComparer.Ordinal), "Patient/" + Patient],
            disclosure.RecordKeys.Order(StringComparer.Ordinal));
        Assert.Equal("Permit patient.right-of-access; withheld: 1 PsychotherapyNote (patient.notes-excluded)", disclosure.Decision);
        Assert.Contains(bundle.Identifier.Value, disclosure.Description, StringComparison.Ordinal);
        Assert.True(reads.All(r => r.OccurredAt <= disclosure.OccurredAt), "every read is recorded before the disclosure");
        Assert.DoesNotContain(trail, r => r.PatientId == _otherPatient.ToString("D") && r.ActorId == Patient);

        // A disclosure to the individual is left out of the accounting (45 CFR 164.528(a)(1)(ii)) and, made with no
        // consent, out of the Part 2 list (42 CFR 2.25); the who-accessed report above shows it.
        using (IServiceScope scope = host.CreateScope())
        using (AccessContext.Begin(AsCompliance()))
        {
            var reports = scope.ServiceProvider.GetRequiredService<AuditReports>();
            Assert.Empty(await reports.AccountingOfDisclosuresAsync(Patient));
            Assert.Empty(await reports.Part2DisclosuresAsync(Patient));
        }
    }

    [Fact]
    public async Task Export_ByAPersonalRepresentative_TheReadsAndTheDisclosureAreAttributedToTheRepresentativeAsSuch()
    {
        using var host = new ExportHost(_database);
        DateTimeOffset start = DateTimeOffset.UtcNow.AddMinutes(-1);
        var representative = new AccessContext(new Actor("u-parent-1", [WellKnownRoles.Patient], "practice", representativeOf: [Patient]), PurposeOfUse.PatientRequest)
        { ClientAddress = "198.51.100.4", ClientApplication = "patient-portal" };

        Bundle bundle = await ExportAsync(host, representative);

        Assert.Equal(5, bundle.Entry.Count);
        AuditRecord[] byRepresentative = [.. (await TrailAsync(host, start)).Where(r => r.ActorId == "u-parent-1")];
        Assert.All(byRepresentative.Where(r => r.Action == AuditAction.Read && r.Entity != "ProcessNote"), r => Assert.Equal("Permit patient.personal-representative", r.Decision));
        AuditRecord disclosure = Assert.Single(byRepresentative, r => r.Action == AuditAction.Disclose);
        Assert.Equal(("u-parent-1", Patient), (disclosure.Recipient, disclosure.PatientId));
        Assert.StartsWith("Permit patient.personal-representative;", disclosure.Decision, StringComparison.Ordinal);
        Assert.Contains("the patient's personal representative (45 CFR 164.502(g))", disclosure.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_SourceThatReadsOtherPatients_IsRefusedByEfCoreUnderThePatientScopeAndNothingIsDisclosed()
    {
        using var host = new ExportHost(_database, sources: hipaa => hipaa.AddPatientRecordSource<EverySessionSource>());
        DateTimeOffset start = DateTimeOffset.UtcNow.AddMinutes(-1);

        Bundle bundle = null;
        await Assert.ThrowsAsync<PhiAccessDeniedException>(async () => bundle = await ExportAsync(host, AsThePatient()));

        // The other patient's row was refused (and the refusal is in that patient's trail) before any row was handed out.
        Assert.Null(bundle);
        Assert.DoesNotContain(await TrailAsync(host, start), r => r.Action == AuditAction.Disclose);
        AuditRecord refused = Assert.Single(await TrailAsync(host, start, _otherPatient.ToString("D")), r => r.ActorId == Patient);
        Assert.Equal((AuditAction.Read, AuditOutcome.Denied, "Deny patient.own-record-only"), (refused.Action, refused.Outcome, refused.Decision));
    }

    [Fact]
    public async Task Export_WhenTheAuditStoreIsDown_NothingIsExported()
    {
        using var host = new ExportHost(_database, auditStore: _database.UseUnreachable);

        Bundle bundle = null;
        await Assert.ThrowsAsync<AuditUnavailableException>(async () => bundle = await ExportAsync(host, AsThePatient()));

        Assert.Null(bundle);
    }

    [Fact]
    public async Task Export_WhenTheAuditStoreIsDownAndUnauditedReadsAreAllowed_TheDisclosureCannotBeRecordedSoNothingIsExported()
    {
        using var host = new ExportHost(_database, auditStore: _database.UseUnreachable, dangerouslyReturnUnauditedReads: true);

        Bundle bundle = null;
        await Assert.ThrowsAsync<AuditUnavailableException>(async () => bundle = await ExportAsync(host, AsThePatient()));

        Assert.Null(bundle);
    }

    private AccessContext AsThePatient() =>
        new(new Actor(Patient, [WellKnownRoles.Patient], "practice"), PurposeOfUse.PatientRequest)
        { ClientAddress = "203.0.113.7", RequestId = "req-export", ClientApplication = "patient-portal" };

    private static AccessContext AsCompliance() =>
        new(new Actor("u-co-1", [WellKnownRoles.ComplianceOfficer], "practice"), PurposeOfUse.Oversight);

    private async Task<Bundle> ExportAsync(ExportHost host, AccessContext requester)
    {
        using IServiceScope scope = host.CreateScope();
        using (AccessContext.Begin(requester))
        {
            return await scope.ServiceProvider.GetRequiredService<PatientRecordExport>().ExportAsync(Patient);
        }
    }

    /// <summary>A patient's trail (by default the exported patient's) since <paramref name="from"/>, read with the who-accessed report (as a compliance officer).</summary>
    private async Task<IReadOnlyList<AuditRecord>> TrailAsync(ExportHost host, DateTimeOffset from, string? patient = null)
    {
        using IServiceScope scope = host.CreateScope();
        using (AccessContext.Begin(AsCompliance()))
        {
            return await scope.ServiceProvider.GetRequiredService<AuditReports>().WhoAccessedAsync(patient ?? Patient, from);
        }
    }
}

public sealed class SqlitePatientRecordExportEfCoreTests(R4ValidatorFixture r4, ITestOutputHelper output)
    : PatientRecordExportEfCoreTests("sqlite", r4, output), IClassFixture<R4ValidatorFixture>;

public sealed class PostgresPatientRecordExportEfCoreTests(R4ValidatorFixture r4, ITestOutputHelper output)
    : PatientRecordExportEfCoreTests("postgres", r4, output), IClassFixture<R4ValidatorFixture>;
