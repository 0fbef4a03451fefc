// The sample clinic: field encryption, access auditing and policy enforcement on SQLite with a local development key.
// Run: dotnet run --project samples/Hipaa.Samples.Clinic
using System.Globalization;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing.Reports;
using Hipaa.EfCore.Encryption;
using Hipaa.Encryption;
using Hipaa.Policy;
using Hipaa.Samples.Clinic;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

var dataDirectory = Path.Combine(Environment.CurrentDirectory, ".hipaa-sample");
Directory.CreateDirectory(dataDirectory);
var clinicDb = $"Data Source={Path.Combine(dataDirectory, "clinic.db")}";
var keysDb = $"Data Source={Path.Combine(dataDirectory, "keys.db")}";
foreach (var file in new[] { "clinic.db", "keys.db" })
{
    File.Delete(Path.Combine(dataDirectory, file));
}

// --- The set-up an EHR needs: these lines, and the attributes on the model. ---
var services = new ServiceCollection();
services.AddLogging(logging => logging
    .AddSimpleConsole(o => o.SingleLine = true)
    .SetMinimumLevel(LogLevel.Warning)
    .AddFilter("Microsoft.EntityFrameworkCore", LogLevel.None)); // the sample prints the failures it provokes itself
services.AddHipaa()
    .AddFieldEncryption(o => o.KeyScope = KeyScope.Patient)          // one data key per patient: erasable
    .UseLocalDevelopmentKey(Path.Combine(dataDirectory, "dev.kek"))    // production: UseKeyEncryptionKey(KMS or HSM)
    .UseKeyStore(o => o.UseSqlite(keysDb))                            // wrapped keys live here
    .AddQueryAuditing().UseAuditStore(o => o.UseSqlite(clinicDb))     // every access, in the clinic's own database
    .UseLocalDevelopmentCheckpointSigner(Path.Combine(dataDirectory, "audit-signing.pem")) // production: an HSM/KMS key
    .AddPolicyEnforcement();                                          // the default behavioral-health roles and rules
services.AddDbContextFactory<ClinicDb>((sp, o) => o.UseSqlite(clinicDb).UseHipaa(sp));
await using var provider = services.BuildServiceProvider();
var contexts = provider.GetRequiredService<IDbContextFactory<ClinicDb>>();
// ---------------------------------------------------------------------------------

await using (var db = await contexts.CreateDbContextAsync())
{
    await db.Database.EnsureCreatedAsync();
}

var at = DateTimeOffset.Parse("2026-03-02T15:00:00Z", CultureInfo.InvariantCulture);
var ada = new Patient { DisplayName = "Ada L.", Mrn = "MRN-1001", Ssn = "123-45-6789", BirthDate = new DateOnly(1985, 12, 10) };
var ben = new Patient { DisplayName = "Ben K.", Mrn = "MRN-1002", Ssn = "987-65-4321", BirthDate = new DateOnly(1979, 4, 2) };
string[] careTeam = [ada.Id.ToString(), ben.Id.ToString()];
var frontDesk = new AccessContext(new Actor("u-desk-1", [WellKnownRoles.FrontDesk], "practice"), PurposeOfUse.Operations) { ClientAddress = "10.0.0.21" };
var therapist = new AccessContext(new Actor("u-ther-1", [WellKnownRoles.Therapist], "practice", careTeam), PurposeOfUse.Treatment) { ClientAddress = "10.0.0.34" };
var psychiatrist = new AccessContext(new Actor("u-psy-1", [WellKnownRoles.Psychiatrist], "practice", careTeam), PurposeOfUse.Treatment) { ClientAddress = "10.0.0.35" };
var billing = new AccessContext(new Actor("u-bill-1", [WellKnownRoles.Billing], "practice"), PurposeOfUse.Payment) { ClientAddress = "10.0.0.50" };

Step("1. Front desk registers two patients; the therapist and the psychiatrist write their records");
await As(frontDesk, async db =>
{
    db.AddRange(ada, ben);
    await db.SaveChangesAsync();
});
await As(therapist, async db =>
{
    db.Notes.Add(new ProgressNote { PatientId = ada.Id, WrittenAt = at, Text = "Reports improved sleep; continue CBT-I." });
    db.Notes.Add(new ProgressNote { PatientId = ben.Id, WrittenAt = at.AddDays(1), Text = "Discussed relapse-prevention plan." });
    await db.SaveChangesAsync();
});
await As(psychiatrist, async db =>
{
    db.Prescriptions.Add(new Prescription { PatientId = ada.Id, Drug = "sertraline", Dose = "50 mg daily" });
    await db.SaveChangesAsync();
});
Console.WriteLine("   saved 2 patients, 2 progress notes and 1 prescription");

Step("2. What someone with a copy of the database sees (plain ADO.NET, no keys)");
await using (var raw = new SqliteConnection(clinicDb))
{
    await raw.OpenAsync();
    await using var command = raw.CreateCommand();
    command.CommandText = "SELECT DisplayName, Ssn, Mrn_bidx, (SELECT Text FROM Notes WHERE Notes.PatientId = Patients.Id) FROM Patients ORDER BY DisplayName";
    await using var reader = await command.ExecuteReaderAsync();
    while (await reader.ReadAsync())
    {
        Console.WriteLine($"   {reader.GetString(0),-7} Ssn={Hex(reader.GetFieldValue<byte[]>(1))}  Mrn index={Hex(reader.GetFieldValue<byte[]>(2))}  Note={Hex(reader.GetFieldValue<byte[]>(3))}");
    }
}

Step("3. The same records through EF Core, as each role sees them");
await As(therapist, async db =>
{
    var note = await db.Notes.SingleAsync(n => n.PatientId == ada.Id);
    var prescription = await db.Prescriptions.SingleAsync(p => p.PatientId == ada.Id);
    Console.WriteLine($"   therapist    note: \"{note.Text}\"  prescription: \"{prescription.Drug}\" (withheld: a therapist sees notes, not prescriptions)");
});
await As(psychiatrist, async db =>
{
    var prescription = await db.Prescriptions.SingleAsync(p => p.PatientId == ada.Id);
    Console.WriteLine($"   psychiatrist prescription: {prescription.Drug} {prescription.Dose}");
});
await As(billing, async db =>
{
    var note = await db.Notes.SingleAsync(n => n.PatientId == ada.Id);
    Console.WriteLine($"   billing      note: \"{note.Text}\" (withheld: billing sees claims, not clinical notes)");
});
await As(frontDesk, async db =>
{
    db.Notes.Add(new ProgressNote { PatientId = ada.Id, WrittenAt = at, Text = "front desk tries to write a note" });
    try
    {
        await db.SaveChangesAsync();
    }
    catch (PhiAccessDeniedException denied)
    {
        Console.WriteLine($"   front desk   writing a note refused: {denied.Decision!.Rule.Id}");
    }
});

Step("4. Equality search on an encrypted column (blind index; no plaintext in the query)");
await As(therapist, async db =>
{
    var found = await db.Patients.SingleAsync(p => p.Mrn == "MRN-1002");
    Console.WriteLine($"   Where(p => p.Mrn == \"MRN-1002\") -> {found.DisplayName}");
    try
    {
        await db.Patients.Where(p => p.Mrn.StartsWith("MRN")).ToListAsync();
    }
    catch (NotSupportedException refused)
    {
        Console.WriteLine($"   StartsWith refused: {refused.Message}");
    }
});

Step("5. Who accessed Ada's records? (the compliance officer's report; reading the trail is itself audited)");
var complianceOfficer = new AccessContext(new Actor("u-priv-1", [WellKnownRoles.ComplianceOfficer], "practice"), PurposeOfUse.Oversight);
using (AccessContext.Begin(complianceOfficer))
{
    var reports = provider.GetRequiredService<AuditReports>();
    foreach (var record in await reports.WhoAccessedAsync(ada.Id.ToString()))
    {
        Console.WriteLine($"   {record.ActorId,-9} {record.Action,-7} {record.Entity,-13} {record.Outcome,-8} {record.PurposeOfUse,-7} {record.ClientAddress,-10} {record.Decision}");
    }
}

Step("6. Tampering: copy Ada's SSN ciphertext into Ben's row");
await using (var raw = new SqliteConnection(clinicDb))
{
    await raw.OpenAsync();
    await using var command = raw.CreateCommand();
    command.CommandText = "UPDATE Patients SET Ssn = (SELECT Ssn FROM Patients WHERE DisplayName = 'Ada L.') WHERE DisplayName = 'Ben K.'";
    await command.ExecuteNonQueryAsync();
}

await As(therapist, async db =>
{
    try
    {
        await db.Patients.SingleAsync(p => p.Id == ben.Id);
    }
    catch (FieldDecryptionException tampered)
    {
        Console.WriteLine($"   {tampered.Failure}: {tampered.Message}");
    }
});

Step("7. Right to erasure: crypto-shred Ada's data key");
var keys = provider.GetRequiredService<FieldEncryptionKeyManager>();
var destroyed = 0;
await As(AccessContext.ForKeyMaintenance("erasure"), async db =>   // with the context, her blind indexes are cleared too
    destroyed = await keys.ShredAsync(DataKeyScope.ForPatient(ada.Id.ToString()), db));
Console.WriteLine($"   destroyed {destroyed} data key(s) of patient {ada.Id}");
await As(therapist, async db =>
{
    try
    {
        _ = (await db.Notes.SingleAsync(n => n.PatientId == ada.Id)).Text; // a partial property: decrypted (and refused) when read
    }
    catch (FieldDecryptionException shredded)
    {
        Console.WriteLine($"   {shredded.Failure}: {shredded.Message}");
    }
});

Console.WriteLine();
Console.WriteLine($"Done. Files are in {dataDirectory} (dev.kek is the development key-encryption key).");
string publicKey = Path.Combine(dataDirectory, "audit-signing.pub.pem");
Console.WriteLine("The audit chain is sealed every second; check it against the signer's public key (without one, verification reports the chain unanchored):");
Console.WriteLine($"  dotnet run --project tools/Hipaa.Cli -- audit public-key --signing-key \"{Path.Combine(dataDirectory, "audit-signing.pem")}\" > \"{publicKey}\"");
Console.WriteLine($"  dotnet run --project tools/Hipaa.Cli -- audit verify --provider sqlite --connection \"{clinicDb}\" --public-key \"{publicKey}\"");

async Task As(AccessContext who, Func<ClinicDb, Task> work)
{
    using var scope = AccessContext.Begin(who);
    await using var db = await contexts.CreateDbContextAsync();
    await work(db);
}

static void Step(string title)
{
    Console.WriteLine();
    Console.WriteLine(title);
}

static string Hex(byte[] value) => Convert.ToHexString(value.AsSpan(0, Math.Min(value.Length, 12))) + "…";
