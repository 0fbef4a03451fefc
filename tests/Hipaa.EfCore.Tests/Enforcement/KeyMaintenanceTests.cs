using System.Text;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Enforcement;

/// <summary>
/// Key maintenance with policy enforcement on (issue 9, finding 9): the documented three-phase migration of existing
/// plaintext, and re-encryption after a roll, run under the maintenance access context, which the engine admits for those
/// operations only, audited as such.
/// </summary>
public abstract class KeyMaintenanceTests : IDisposable
{
    private const string Ssn = "900-00-0042";
    private readonly TestDatabase _database;
    private readonly Guid _patient = Guid.NewGuid();

    protected KeyMaintenanceTests(string provider)
    {
        _database = TestDatabase.Create(provider);
        using var schema = new AuditHost(_database); // creates the tables, as the application's migrations would
    }

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task ThreePhaseMigration_WithEnforcementOn_EncryptsEverythingUnderTheMaintenanceContextAndAuditsItAsSuch()
    {
        // Phase 0: rows written before encryption was turned on (plaintext in the columns, no blind index).
        InsertLegacyRows();

        // Phase 1: encryption on, legacy plaintext still readable; phase 2: encrypt what is left, as the maintenance actor.
        ReencryptionResult result;
        using (var migrating = Enforcing(o => o.AllowPlaintextReadsDuringMigration = true))
        {
            using (AccessContext.Begin(Maintenance()))
            await using (var context = migrating.CreateContext())
            {
                result = await migrating.Keys.EncryptExistingDataAsync(context, batchSize: 2);
            }

            Assert.Equal((3L, 4L, 0L), (result.RowsScanned, result.ValuesRewritten, result.RowsSkipped)); // Ssn, Mrn, Dose, Text

            var maintenance = migrating.Records().Where(r => r.ActorId == "system:encrypt-existing-data").ToList();
            Assert.NotEmpty(maintenance);
            Assert.All(maintenance, r => Assert.Equal(("HSYSADMIN", AuditOutcome.Success), (r.PurposeOfUse, r.Outcome)));
            Assert.Contains(maintenance, r => r.Action == AuditAction.Read && r.Decision == "Permit maintenance.reencrypt" && r.Entity == "PsychotherapyNote");
            Assert.Contains(maintenance, r => r.Action == AuditAction.Update && r.Entity == "Patient");
        }

        // Phase 3: plaintext reads off. Every value is ciphertext, and the people who may read them read them.
        Assert.All(_database.ReadColumn("Patients", "Ssn"), v => Assert.True(FieldCiphertext.LooksEncrypted(v)));
        Assert.All(_database.ReadColumn("PsychotherapyNotes", "Text"), v => Assert.True(FieldCiphertext.LooksEncrypted(v)));
        Assert.All(_database.ReadColumn("Prescriptions", "Dose"), v => Assert.True(FieldCiphertext.LooksEncrypted(v)));
        using var strict = Enforcing();
        using (AccessContext.Begin(AuditHost.Therapist("u-ther-1", _patient.ToString())))
        await using (var context = strict.CreateContext())
        {
            var mrn = "MRN-LEGACY-1";
            Assert.Equal(Ssn, (await context.Patients.SingleAsync(p => p.Mrn == mrn)).Ssn); // the migration wrote the blind index too
            Assert.Equal("process notes", (await context.PsychotherapyNotes.SingleAsync()).Text);
        }

        using (AccessContext.Begin(AuditHost.As("u-psy-1", WellKnownRoles.Psychiatrist, PurposeOfUse.Treatment, _patient.ToString())))
        await using (var context = strict.CreateContext())
        {
            Assert.Equal("50 mg", (await context.Prescriptions.SingleAsync()).Dose);
        }
    }

    [Fact]
    public async Task MaintenanceContext_ForAnOrdinaryRead_IsDeniedLikeAnyUnfitPurpose()
    {
        InsertLegacyRows();
        using var host = Enforcing(o => o.AllowPlaintextReadsDuringMigration = true);
        var before = host.Records().Count;
        using (AccessContext.Begin(Maintenance()))
        await using (var context = host.CreateContext())
        {
            var patient = await context.Patients.SingleAsync();
            Assert.Null(patient.Ssn); // redacted: the maintenance purpose reads nothing outside key maintenance
        }

        var record = Assert.Single(host.Records().Skip(before));
        Assert.Equal((AuditAction.Read, AuditOutcome.Denied, "Deny purpose.role-fit"), (record.Action, record.Outcome, record.Decision));
    }

    [Fact]
    public async Task ReencryptAsync_AfterARollWithEnforcementOn_RunsUnderTheMaintenanceContextOnly()
    {
        using var host = Enforcing();
        using (AccessContext.Begin(AuditHost.As("u-psy-1", WellKnownRoles.Psychiatrist, PurposeOfUse.Treatment, _patient.ToString())))
        await using (var context = host.CreateContext())
        {
            context.Add(new Prescription { Id = Guid.NewGuid(), PatientId = _patient, Drug = "sertraline", Dose = "50 mg" });
            await context.SaveChangesAsync();
        }

        var newKey = await host.Keys.RollDataKeyAsync(DataKeyScope.ForPatient(_patient));
        var stored = _database.ReadColumn("Prescriptions", "Dose").Single();

        // A clinician (or a job under an ordinary purpose) is refused before anything is read or written.
        using (AccessContext.Begin(AuditHost.As("u-psy-1", WellKnownRoles.Psychiatrist, PurposeOfUse.Treatment, _patient.ToString())))
        await using (var context = host.CreateContext())
        {
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Keys.ReencryptAsync(context));
            Assert.Contains("AccessContext.ForKeyMaintenance", refused.Message, StringComparison.Ordinal);
        }

        using (AccessContext.Begin(AccessContext.ForSystem("nightly", PurposeOfUse.Operations)))
        await using (var context = host.CreateContext())
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => host.Keys.ReencryptAsync(context));
        }

        Assert.Equal(stored, _database.ReadColumn("Prescriptions", "Dose").Single());

        ReencryptionResult result;
        using (AccessContext.Begin(AccessContext.ForKeyMaintenance("key-rotation")))
        await using (var context = host.CreateContext())
        {
            result = await host.Keys.ReencryptAsync(context);
        }

        Assert.Equal((1L, 0L), (result.ValuesRewritten, result.RowsSkipped));
        Assert.Equal(newKey, new Guid(_database.ReadColumn("Prescriptions", "Dose").Single().AsSpan(2, 16), bigEndian: true));
        var rotation = host.Records().Where(r => r.ActorId == "system:key-rotation").ToList();
        Assert.Contains(rotation, r => (r.Action, r.Entity, r.Decision, r.PurposeOfUse) == (AuditAction.Read, "Prescription", "Permit maintenance.reencrypt", "HSYSADMIN"));
        Assert.Contains(rotation, r => (r.Action, r.Entity, r.PatientId) == (AuditAction.Update, "Prescription", _patient.ToString()));
    }

    private void InsertLegacyRows()
    {
        static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
        _database.Execute(
            "INSERT INTO \"Patients\" (\"Id\", \"DisplayName\", \"Ssn\", \"Mrn\") VALUES (@id, 'legacy', @ssn, @mrn)",
            ("@id", _patient), ("@ssn", Utf8(Ssn)), ("@mrn", Utf8("MRN-LEGACY-1")));
        _database.Execute(
            "INSERT INTO \"Prescriptions\" (\"Id\", \"PatientId\", \"Drug\", \"Dose\") VALUES (@id, @patient, 'sertraline', @dose)",
            ("@id", Guid.NewGuid()), ("@patient", _patient), ("@dose", Utf8("50 mg")));
        _database.Execute(
            "INSERT INTO \"PsychotherapyNotes\" (\"Id\", \"PatientId\", \"AuthorId\", \"Text\") VALUES (@id, @patient, 'u-ther-1', @text)",
            ("@id", Guid.NewGuid()), ("@patient", _patient), ("@text", Utf8("process notes")));
    }

    private static AccessContext Maintenance() => AccessContext.ForKeyMaintenance("encrypt-existing-data");

    private AuditHost Enforcing(Action<FieldEncryptionOptions>? encryption = null) =>
        new(_database, enforcement: _ => { }, encryption: encryption);
}

public sealed class SqliteKeyMaintenanceTests() : KeyMaintenanceTests("sqlite");

public sealed class PostgresKeyMaintenanceTests() : KeyMaintenanceTests("postgres");
