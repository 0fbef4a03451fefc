using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Enforcement;

/// <summary>The policy engine enforced on EF Core reads and writes, with every decision in the audit trail.</summary>
public abstract class PolicyEnforcementTests : IDisposable
{
    private readonly TestDatabase _database;
    private readonly Guid _patient = Guid.NewGuid();
    private readonly Guid _otherPatient = Guid.NewGuid();

    protected PolicyEnforcementTests(string provider)
    {
        _database = TestDatabase.Create(provider);
        using var seed = new AuditHost(_database);
        using var scope = AccessContext.Begin(AccessContext.ForSystem("seed", PurposeOfUse.Operations));
        using var context = seed.CreateContext();
        foreach (var id in new[] { _patient, _otherPatient })
        {
            context.Add(new Patient { Id = id, DisplayName = "P", Ssn = "123-45-6789", Mrn = "MRN-" + id.ToString("N")[..6] });
            context.Add(new Note { Id = Guid.NewGuid(), PatientId = id, Title = "Session", Text = "progress", WrittenAt = DateTime.UnixEpoch, SignedAt = DateTimeOffset.UnixEpoch });
            context.Add(new Prescription { Id = Guid.NewGuid(), PatientId = id, Drug = "sertraline", Dose = "50 mg" });
            context.Add(new Diagnosis { Id = Guid.NewGuid(), PatientId = id, Code = "F41.1", Display = "Generalized anxiety disorder", Narrative = "worries about work" });
            context.Add(new PsychotherapyNote { Id = Guid.NewGuid(), PatientId = id, AuthorId = "u-ther-1", Text = "process notes" });
        }

        context.SaveChanges();
    }

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Read_TherapistOnTheCareTeam_SeesProgressNotesAndTheDecisionIsAudited()
    {
        using var host = Enforcing();
        var before = host.Records().Count;
        using (AccessContext.Begin(AuditHost.Therapist("u-ther-1", _patient.ToString())))
        await using (var context = host.CreateContext())
        {
            var note = await context.Notes.SingleAsync(n => n.PatientId == _patient);
            Assert.Equal("progress", note.Text);
        }

        var record = Assert.Single(host.Records().Skip(before));
        Assert.Equal((AuditOutcome.Success, "Permit matrix.role-permission"), (record.Outcome, record.Decision));
        Assert.Empty(record.RedactedFields);
    }

    [Fact]
    public async Task Read_TherapistReadingPrescriptions_GetsThemRedactedAndTheDenialIsAudited()
    {
        using var host = Enforcing();
        var before = host.Records().Count;
        using (AccessContext.Begin(AuditHost.Therapist("u-ther-1", _patient.ToString())))
        await using (var context = host.CreateContext())
        {
            var prescription = await context.Prescriptions.SingleAsync(p => p.PatientId == _patient);
            Assert.Equal((string.Empty, null), (prescription.Drug, prescription.Dose));
            Assert.Equal(_patient, prescription.PatientId);
        }

        var record = Assert.Single(host.Records().Skip(before));
        Assert.Equal(AuditOutcome.Denied, record.Outcome);
        Assert.StartsWith("Deny matrix.not-permitted", record.Decision, StringComparison.Ordinal);
        Assert.Equal(["Dose", "Drug"], record.RedactedFields.Split(AuditEntry.ListSeparator).Order());
    }

    [Fact]
    public async Task Read_TherapistOffTheCareTeam_IsDenied()
    {
        using var host = Enforcing();
        using (AccessContext.Begin(AuditHost.Therapist("u-ther-1", _patient.ToString())))
        await using (var context = host.CreateContext())
        {
            var note = await context.Notes.SingleAsync(n => n.PatientId == _otherPatient);
            Assert.Equal((string.Empty, string.Empty), (note.Title, note.Text));
        }

        Assert.Contains(host.Records(), r => r.PatientId == _otherPatient.ToString() && r.Outcome == AuditOutcome.Denied && r.Decision!.Contains("care-team", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Read_BillingReadingADiagnosis_SeesTheCodeButNotTheNarrative()
    {
        using var host = Enforcing();
        var before = host.Records().Count;
        using (AccessContext.Begin(AuditHost.As("u-bill-1", WellKnownRoles.Billing, PurposeOfUse.Payment)))
        await using (var context = host.CreateContext())
        {
            var diagnosis = await context.Diagnoses.SingleAsync(d => d.PatientId == _patient);
            Assert.Equal(("F41.1", "Generalized anxiety disorder", null), (diagnosis.Code, diagnosis.Display, diagnosis.Narrative));
        }

        var record = Assert.Single(host.Records().Skip(before));
        Assert.Equal((AuditOutcome.Success, "Narrative"), (record.Outcome, record.RedactedFields));
        Assert.Contains("MaskFields", record.Decision, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_BillingProjectionKeptInSqlOfVisibleDiagnosisFields_Runs()
    {
        using var host = Enforcing();
        using (AccessContext.Begin(AuditHost.As("u-bill-1", WellKnownRoles.Billing, PurposeOfUse.Payment)))
        await using (var context = host.CreateContext())
        {
            var codes = await context.Diagnoses.Select(d => new { d.Code, d.Display }).OrderBy(x => x.Display).ToListAsync();
            Assert.Equal(2, codes.Count);
        }

        var record = Assert.Single(host.Records(), r => r.ActorId == "u-bill-1");
        Assert.Equal((null, AuditOutcome.Success), (record.PatientId, record.Outcome));
    }

    [Fact]
    public async Task Read_BillingProjectionKeptInSqlThatNamesAMaskedField_IsRefused()
    {
        // SQL-computed values cannot be redacted: a query naming the narrative billing's mask withholds is refused whole.
        using var host = Enforcing();
        using (AccessContext.Begin(AuditHost.As("u-bill-1", WellKnownRoles.Billing, PurposeOfUse.Payment)))
        await using (var context = host.CreateContext())
        {
            var refused = await Assert.ThrowsAsync<PhiAccessDeniedException>(() => context.Database.SqlQueryRaw<string>("SELECT \"Code\" AS \"Value\" FROM \"Diagnoses\" WHERE \"Narrative\" IS NOT NULL").ToListAsync());
            Assert.Contains("Narrative", refused.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<PhiAccessDeniedException>(() => context.Diagnoses.Select(d => new { d.Code, d.Narrative }).OrderBy(x => x.Code).ToListAsync());
        }

        var records = host.Records().Where(r => r.ActorId == "u-bill-1").ToList();
        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.Equal((AuditOutcome.Denied, "Narrative"), (r.Outcome, r.RedactedFields)));
    }

    [Fact]
    public async Task Read_AWithheldDeferredField_IsNeverDecrypted_WhileAPermittedReaderStillGetsTheAuthenticationFailure()
    {
        // Diagnosis.Narrative is decrypted on first read. Tampered (one row's flipped, the other's replaced by it), it fails
        // authentication — but billing's field mask clears it before it is ever read, so billing gets neither an error nor
        // a value, while a clinician allowed to read it gets the authentication failure.
        var stored = _database.ReadColumn("Diagnoses", "Narrative")[0]!;
        stored[^1] ^= 0x01;
        _database.Execute("UPDATE \"Diagnoses\" SET \"Narrative\" = @v", ("@v", stored));
        using var host = Enforcing();
        using (AccessContext.Begin(AuditHost.As("u-bill-1", WellKnownRoles.Billing, PurposeOfUse.Payment)))
        await using (var context = host.CreateContext())
        {
            var diagnoses = await context.Diagnoses.ToListAsync();
            Assert.Equal(2, diagnoses.Count);
            Assert.All(diagnoses, d => Assert.Null(d.Narrative));
        }

        using (AccessContext.Begin(AuditHost.Therapist("u-ther-1", _patient.ToString(), _otherPatient.ToString())))
        await using (var context = host.CreateContext())
        {
            var diagnoses = await context.Diagnoses.ToListAsync();
            Assert.Equal(2, diagnoses.Count);
            Assert.All(diagnoses, d => Assert.Equal(FieldDecryptionFailure.AuthenticationFailed, Assert.Throws<FieldDecryptionException>(() => d.Narrative).Failure));
        }
    }

    [Fact]
    public async Task Read_PsychotherapyNote_VisibleToItsAuthorOnlyAndRefusedWhenConfiguredToThrow()
    {
        using (var host = Enforcing())
        {
            using (AccessContext.Begin(AuditHost.Therapist("u-ther-1", _patient.ToString())))
            await using (var context = host.CreateContext())
            {
                Assert.Equal("process notes", (await context.PsychotherapyNotes.SingleAsync(n => n.PatientId == _patient)).Text);
            }

            using (AccessContext.Begin(AuditHost.Therapist("u-ther-2", _patient.ToString())))
            await using (var context = host.CreateContext())
            {
                Assert.Equal(string.Empty, (await context.PsychotherapyNotes.SingleAsync(n => n.PatientId == _patient)).Text);
            }
        }

        using (var strict = Enforcing(o => o.DeniedReadsByCategory["PsychotherapyNote"] = DeniedReadHandling.Throw))
        using (AccessContext.Begin(AuditHost.Therapist("u-ther-2", _patient.ToString())))
        await using (var context = strict.CreateContext())
        {
            var denied = await Assert.ThrowsAsync<PhiAccessDeniedException>(() => context.PsychotherapyNotes.Where(n => n.PatientId == _patient).ToListAsync());
            Assert.StartsWith("notes.", denied.Decision!.Rule.Id, StringComparison.Ordinal);
            Assert.DoesNotContain("process notes", denied.Message, StringComparison.Ordinal);
            Assert.Contains(strict.Records(), r => r.ActorId == "u-ther-2" && r.Entity == "PsychotherapyNote" && r.Outcome == AuditOutcome.Denied);
        }
    }

    [Fact]
    public async Task Read_DeniedRowOfAPatientOutsideTheAccessContextsPatientScope_IsRefusedNotRedactedAndAudited()
    {
        // The therapist treats _otherPatient only; the request was authorized for that patient (ASP.NET Core's route). A
        // lookup by id that lands on _patient's note must not come back redacted with its ids, confirming that it exists.
        using var host = Enforcing();
        var before = host.Records().Count;
        var access = new AccessContext(new Actor("u-ther-3", [WellKnownRoles.Therapist], "practice", [_otherPatient.ToString()]), PurposeOfUse.Treatment)
        {
            RequestId = "req-scope",
            PatientScope = [_otherPatient.ToString()],
        };
        using (AccessContext.Begin(access))
        await using (var context = host.CreateContext())
        {
            var denied = await Assert.ThrowsAsync<PhiAccessDeniedException>(() => context.Notes.SingleAsync(n => n.PatientId == _patient));
            Assert.Equal("matrix.care-team-required", denied.Decision!.Rule.Id);
            Assert.Equal("progress", (await context.Notes.SingleAsync(n => n.PatientId == _otherPatient)).Text);
        }

        var records = host.Records().Skip(before).ToList();
        Assert.Contains(records, r => (r.ActorId, r.PatientId, r.Outcome, r.Decision) == ("u-ther-3", _patient.ToString(), AuditOutcome.Denied, "Deny matrix.care-team-required"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Read_DeniedRowInsideThePatientScopeOrWithoutOne_ComesBackRedactedAsBefore(bool scoped)
    {
        using var host = Enforcing();
        var access = new AccessContext(new Actor("u-ther-2", [WellKnownRoles.Therapist], "practice", [_patient.ToString()]), PurposeOfUse.Treatment)
        {
            PatientScope = scoped ? [_patient.ToString().ToUpperInvariant()] : null,
        };
        using (AccessContext.Begin(access))
        await using (var context = host.CreateContext())
        {
            // Another clinician's psychotherapy note of a patient the request may see: redacted, the list keeps working.
            var note = await context.PsychotherapyNotes.SingleAsync(n => n.PatientId == _patient);
            Assert.Equal(string.Empty, note.Text);
        }
    }

    [Fact]
    public async Task Write_FrontDeskCreatingAProgressNote_IsRefusedBeforeTheDatabaseAndAudited()
    {
        using var host = Enforcing();
        var note = new Note { Id = Guid.NewGuid(), PatientId = _patient, Title = "by front desk", Text = "x", WrittenAt = DateTime.UnixEpoch, SignedAt = DateTimeOffset.UnixEpoch };
        using (AccessContext.Begin(AuditHost.As("u-desk-1", WellKnownRoles.FrontDesk, PurposeOfUse.Operations)))
        await using (var context = host.CreateContext())
        {
            context.Add(note);
            var denied = await Assert.ThrowsAsync<PhiAccessDeniedException>(() => context.SaveChangesAsync());
            Assert.Equal(AccessOutcome.Deny, denied.Decision!.Outcome);
        }

        using (AccessContext.Begin(AccessContext.ForSystem("check", PurposeOfUse.Operations)))
        await using (var context = new AuditHost(_database).CreateContext())
        {
            Assert.False(await context.Notes.AnyAsync(n => n.Id == note.Id));
        }

        var record = Assert.Single(host.Records(), r => r.ActorId == "u-desk-1");
        Assert.Equal((AuditAction.Create, AuditOutcome.Denied, note.Id.ToString()), (record.Action, record.Outcome, record.RecordKeys));
    }

    [Fact]
    public async Task Write_PsychiatristPrescribingForAPatientOnTheCareTeam_IsPermittedAndAudited()
    {
        using var host = Enforcing();
        using (AccessContext.Begin(AuditHost.As("u-psy-1", WellKnownRoles.Psychiatrist, PurposeOfUse.Treatment, _patient.ToString())))
        await using (var context = host.CreateContext())
        {
            context.Add(new Prescription { Id = Guid.NewGuid(), PatientId = _patient, Drug = "bupropion", Dose = "150 mg" });
            await context.SaveChangesAsync();
        }

        var record = Assert.Single(host.Records(), r => r.ActorId == "u-psy-1" && r.Action == AuditAction.Create);
        Assert.Equal((AuditOutcome.Success, "Permit matrix.role-permission"), (record.Outcome, record.Decision));
    }

    private AuditHost Enforcing(Action<PolicyEnforcementOptions>? configure = null) =>
        new(_database, enforcement: configure ?? (_ => { }));
}

public sealed class SqlitePolicyEnforcementTests() : PolicyEnforcementTests("sqlite");

public sealed class PostgresPolicyEnforcementTests() : PolicyEnforcementTests("postgres");
