using Hipaa.Auditing;
using Hipaa.Policy;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Auditing.Integrity;
using Hipaa.EfCore.Auditing.Reports;
using Hipaa.EfCore.LoadDriver;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.Tests.Reading;

/// <summary>
/// A query that returns several patients' rows is stored as one audit row naming every patient (patient_ids), and stays
/// answerable per patient: the who-accessed report finds it for each of them before and after sealing, the sealer indexes
/// it per patient, and verification catches an index row deleted or added by someone with write access to the database.
/// </summary>
public abstract class OneRecordPerAccessTests : IDisposable
{
    private static readonly string A = ShapesHost.A.ToString(), B = ShapesHost.B.ToString(), C = ShapesHost.C.ToString();
    private readonly TestDatabase _database;

    protected OneRecordPerAccessTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Read_PageOfThreePatients_IsStoredAsOneRowNamingEachPatient()
    {
        using var host = new ShapesHost(_database);
        var before = _database.AuditRows().Count;

        await ReadPageAsync(host);

        var row = Assert.Single(_database.AuditRows().Skip(before));
        Assert.Null(row.PatientId);
        Assert.Equal([A, B, C], row.Patients().Order());
        Assert.Equal(AuditAction.Read, row.Action);
        Assert.Equal("Member", row.Entity);
    }

    [Fact]
    public async Task Read_PageWithPerPatientCommit_KeepsOneRowPerPatient()
    {
        using var host = new ShapesHost(_database, o => o.ReadAuditCommit = ReadAuditCommit.PerPatient);
        var before = _database.AuditRows().Count;

        await ReadPageAsync(host);

        var rows = _database.AuditRows().Skip(before).ToList();
        Assert.Equal([A, B, C], rows.Select(r => r.PatientId).Order());
        Assert.All(rows, r => Assert.Empty(r.PatientIds));
    }

    [Fact]
    public async Task Read_PatientsWithDifferentDecisions_AreNotMergedIntoOneRecord()
    {
        // Policy on; the therapist's care team holds A and B only: C's rows are redacted and recorded Denied, apart. (Visits,
        // not members: a member's owned address cannot be redacted, so a denied member row is refused — red team 3, hole 1.)
        using var host = new ShapesHost(_database, enforcePolicy: true);
        var before = _database.AuditRows().Count;

        using (AccessContext.Begin(new AccessContext(new Hipaa.Policy.Actor("u-ther-1", [Hipaa.Policy.WellKnownRoles.Therapist], "practice", [A, B]), PurposeOfUse.Treatment)))
        using (var db = host.CreateContext())
        {
            Assert.Equal(6, (await db.Visits.AsNoTracking().ToListAsync()).Count);
        }

        var rows = _database.AuditRows().Skip(before).ToList();
        var permitted = Assert.Single(rows, r => r.Outcome == AuditOutcome.Success);
        Assert.Equal([A, B], permitted.Patients().Order());
        var denied = Assert.Single(rows, r => r.Outcome != AuditOutcome.Success);
        Assert.Equal(C, denied.PatientId);
        Assert.Empty(denied.PatientIds);
    }

    [Fact]
    public async Task WhoAccessed_FindsTheRecordOfSeveralPatientsForEachOfThem_BeforeAndAfterSealing()
    {
        using var host = new ShapesHost(_database);
        await ReadPageAsync(host);
        var reports = Reports(host);

        foreach (var patient in new[] { A, B, C })
        {
            var unsealed = await WhoAccessedAsync(reports, patient);
            var page = Assert.Single(unsealed, r => r.Action == AuditAction.Read && r.Entity == "Member" && r.PatientIds.Count == 3);
            Assert.Equal(patient, page.PatientId);
        }

        await SealAllAsync(host);
        Assert.Equal(3, _database.AuditPatientIndex().Count(i => i.AuditId == _database.AuditRows().Single(r => r.PatientIds.Length > 0).Id));
        foreach (var patient in new[] { A, B, C })
        {
            var sealedRecords = await WhoAccessedAsync(reports, patient);
            var page = Assert.Single(sealedRecords, r => r.Action == AuditAction.Read && r.Entity == "Member" && r.PatientIds.Count == 3);
            Assert.Equal(patient, page.PatientId);
        }

        Assert.DoesNotContain(await WhoAccessedAsync(reports, Guid.NewGuid().ToString()), r => r.Entity == "Member" && r.Action == AuditAction.Read);
        Assert.True((await VerifyAsync(host)).IsValid);
    }

    [Fact]
    public async Task WhoAccessed_PatientIdThatIsAPrefixOfAnother_DoesNotMatchThroughTheList()
    {
        using var host = new ShapesHost(_database);
        await ReadPageAsync(host);

        // "0196a000" is a prefix of every seeded id: the LIKE prefilter matches it, the exact check must not.
        Assert.DoesNotContain(await WhoAccessedAsync(Reports(host), A[..8]), r => r.Entity == "Member" && r.Action == AuditAction.Read);
        await SealAllAsync(host);
        Assert.DoesNotContain(await WhoAccessedAsync(Reports(host), A[..8]), r => r.Entity == "Member" && r.Action == AuditAction.Read);
    }

    [Fact]
    public async Task Verify_IndexRowDeleted_ReportsThePatientIndexMismatch()
    {
        using var host = new ShapesHost(_database);
        await ReadPageAsync(host);
        await SealAllAsync(host);

        // The attacker hides B's access from B's who-accessed report.
        Assert.Equal(1, _database.Execute("DELETE FROM hipaa_audit_patients WHERE patient_id = @p", ("@p", B)));

        Assert.DoesNotContain(await WhoAccessedAsync(Reports(host), B), r => r.Entity == "Member" && r.Action == AuditAction.Read);
        var result = await VerifyAsync(host);
        Assert.False(result.IsValid);
        Assert.Equal(AuditChainProblemKind.PatientIndexMismatch, result.Problem!.Kind);
        Assert.Contains("deleted", result.Problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_IndexRowAddedForAnotherPatient_ReportsThePatientIndexMismatch()
    {
        using var host = new ShapesHost(_database);
        await ReadPageAsync(host);
        await SealAllAsync(host);
        var page = _database.AuditRows().Single(r => r.PatientIds.Length > 0);

        // The attacker frames a clinician: the page now seems to include a fourth patient.
        var index = _database.AuditPatientIndex().First(i => i.AuditId == page.Id);
        CopyIndexRow(index, patientId: "framed-patient", occurredAt: null);

        var result = await VerifyAsync(host);
        Assert.Equal(AuditChainProblemKind.PatientIndexMismatch, result.Problem?.Kind);
        Assert.Contains("added outside the sealer", result.Problem!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_IndexRowPointingAtAnUnsealedOrMissingRecord_ReportsThePatientIndexMismatch()
    {
        using var host = new ShapesHost(_database);
        await ReadPageAsync(host);
        await SealAllAsync(host);
        var index = _database.AuditPatientIndex().First();
        CopyIndexRow(index, patientId: index.PatientId, occurredAt: null, auditId: 9_999_999);

        var result = await VerifyAsync(host);
        Assert.Equal(AuditChainProblemKind.PatientIndexMismatch, result.Problem?.Kind);
        Assert.Contains("not a sealed record", result.Problem!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_IndexRowMovedInTime_ReportsThePatientIndexMismatch()
    {
        using var host = new ShapesHost(_database);
        await ReadPageAsync(host);
        await SealAllAsync(host);
        var index = _database.AuditPatientIndex().First(i => i.PatientId == A);

        // Moving the index row out of a report's window hides the access from a who-accessed report of that window.
        Assert.Equal(1, _database.Execute("DELETE FROM hipaa_audit_patients WHERE patient_id = @p", ("@p", A)));
        CopyIndexRow(index, patientId: A, occurredAt: index.OccurredAt.AddYears(-3));

        var result = await VerifyAsync(host);
        Assert.Equal(AuditChainProblemKind.PatientIndexMismatch, result.Problem?.Kind);
        Assert.Contains("another time", result.Problem!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_PatientRemovedFromASealedList_ReportsTheEditedRecord()
    {
        using var host = new ShapesHost(_database);
        await ReadPageAsync(host);
        await SealAllAsync(host);
        var page = _database.AuditRows().Single(r => r.PatientIds.Length > 0);

        // Both the list and the index row edited consistently: the record's hash still covers the list.
        string shorter = string.Join(AuditEntry.ListSeparator, page.Patients().Where(p => p != B));
        Assert.Equal(1, _database.Execute("UPDATE hipaa_audit SET patient_ids = @ids WHERE id = @id", ("@ids", shorter), ("@id", page.Id)));
        Assert.Equal(1, _database.Execute("DELETE FROM hipaa_audit_patients WHERE patient_id = @p", ("@p", B)));

        var result = await VerifyAsync(host);
        Assert.Equal(AuditChainProblemKind.EditedRecord, result.Problem?.Kind);
        Assert.Equal(page.RecordId, result.Problem!.RecordId);
    }

    private void CopyIndexRow(AuditPatientEntry index, string patientId, DateTimeOffset? occurredAt, long? auditId = null)
    {
        var options = new DbContextOptionsBuilder<AuditDbContext>();
        _database.Use(options);
        using var audit = new AuditDbContext(options.Options);
        audit.PatientIndex.Add(new AuditPatientEntry { AuditId = auditId ?? index.AuditId, PatientId = patientId, OccurredAt = occurredAt ?? index.OccurredAt });
        audit.SaveChanges();
    }

    private static async Task ReadPageAsync(ShapesHost host)
    {
        using (AccessContext.Begin(ShapesHost.Therapist()))
        using (var db = host.CreateContext())
        {
            Assert.Equal(3, (await db.Members.AsNoTracking().ToListAsync()).Count);
        }
    }

    private static AuditReports Reports(ShapesHost host) => host.Services.GetRequiredService<AuditReports>();

    private static async Task<IReadOnlyList<AuditRecord>> WhoAccessedAsync(AuditReports reports, string patientId)
    {
        using (AccessContext.Begin(AccessContext.ForSystem("who-accessed-test", PurposeOfUse.Oversight)))
        {
            return await reports.WhoAccessedAsync(patientId);
        }
    }

    private static async Task SealAllAsync(ShapesHost host)
    {
        using var signer = LocalDevelopmentCheckpointSigner.OpenOrCreate(LoadHost.SignerPath);
        using var sealer = new AuditSealer(host.Runtime.StoreOptions, signer, TimeProvider.System);
        while ((await sealer.SealAsync(5_000)).RecordsSealed > 0)
        {
        }
    }

    private static async Task<AuditVerificationResult> VerifyAsync(ShapesHost host)
    {
        using var signer = LocalDevelopmentCheckpointSigner.OpenOrCreate(LoadHost.SignerPath);
        using var keys = CheckpointSignatureVerifier.FromSigner(signer);
        return await new AuditVerifier(host.Runtime.StoreOptions, TimeProvider.System, new AuditVerificationOptions { Signatures = keys, BatchSize = 2 }).VerifyAsync();
    }
}

public sealed class SqliteOneRecordPerAccessTests() : OneRecordPerAccessTests("sqlite");

public sealed class PostgresOneRecordPerAccessTests() : OneRecordPerAccessTests("postgres");
