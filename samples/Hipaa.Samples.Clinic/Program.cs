// The sample clinic: field encryption with envelope keys on SQLite and a local development key.
// Run: dotnet run --project samples/Hipaa.Samples.Clinic
using Hipaa.EfCore.Encryption;
using Hipaa.Encryption;
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
    .UseKeyStore(o => o.UseSqlite(keysDb));                           // wrapped keys live here
services.AddDbContextFactory<ClinicDb>((sp, o) => o.UseSqlite(clinicDb).UseHipaa(sp));
await using var provider = services.BuildServiceProvider();
var contexts = provider.GetRequiredService<IDbContextFactory<ClinicDb>>();
// ---------------------------------------------------------------------------------

await using (var db = await contexts.CreateDbContextAsync())
{
    await db.Database.EnsureCreatedAsync();
}

Step("1. Write two patients and their notes through EF Core, as any EHR would");
var ada = new Patient { DisplayName = "Ada L.", Mrn = "MRN-1001", Ssn = "123-45-6789", BirthDate = new DateOnly(1985, 12, 10) };
var ben = new Patient { DisplayName = "Ben K.", Mrn = "MRN-1002", Ssn = "987-65-4321", BirthDate = new DateOnly(1979, 4, 2) };
await using (var db = await contexts.CreateDbContextAsync())
{
    db.AddRange(ada, ben);
    db.Notes.Add(new ProgressNote { PatientId = ada.Id, WrittenAt = DateTimeOffset.Parse("2026-03-02T15:00:00Z", System.Globalization.CultureInfo.InvariantCulture), Text = "Reports improved sleep; continue CBT-I." });
    db.Notes.Add(new ProgressNote { PatientId = ben.Id, WrittenAt = DateTimeOffset.Parse("2026-03-03T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture), Text = "Discussed relapse-prevention plan." });
    await db.SaveChangesAsync();
}

Console.WriteLine("   saved 2 patients and 2 notes");

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

Step("3. What the application sees through the same context");
await using (var db = await contexts.CreateDbContextAsync())
{
    foreach (var patient in await db.Patients.AsNoTracking().OrderBy(p => p.DisplayName).ToListAsync())
    {
        var note = await db.Notes.AsNoTracking().SingleAsync(n => n.PatientId == patient.Id);
        Console.WriteLine($"   {patient.DisplayName,-7} MRN {patient.Mrn}  SSN {patient.Ssn}  born {patient.BirthDate:yyyy-MM-dd}  note: \"{note.Text}\"");
    }

    Step("4. Equality search on an encrypted column (blind index; no plaintext in the query)");
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
}

Step("5. Tampering: copy Ada's SSN ciphertext into Ben's row");
await using (var raw = new SqliteConnection(clinicDb))
{
    await raw.OpenAsync();
    await using var command = raw.CreateCommand();
    command.CommandText = "UPDATE Patients SET Ssn = (SELECT Ssn FROM Patients WHERE DisplayName = 'Ada L.') WHERE DisplayName = 'Ben K.'";
    await command.ExecuteNonQueryAsync();
}

await using (var db = await contexts.CreateDbContextAsync())
{
    try
    {
        await db.Patients.SingleAsync(p => p.Id == ben.Id);
    }
    catch (FieldDecryptionException tampered)
    {
        Console.WriteLine($"   {tampered.Failure}: {tampered.Message}");
    }
}

Step("6. Right to erasure: crypto-shred Ada's data key");
var keys = provider.GetRequiredService<FieldEncryptionKeyManager>();
var destroyed = await keys.ShredAsync(DataKeyScope.ForPatient(ada.Id.ToString()));
Console.WriteLine($"   destroyed {destroyed} data key(s) of patient {ada.Id}");
await using (var db = await contexts.CreateDbContextAsync())
{
    try
    {
        await db.Notes.SingleAsync(n => n.PatientId == ada.Id);
    }
    catch (FieldDecryptionException shredded)
    {
        Console.WriteLine($"   {shredded.Failure}: {shredded.Message}");
    }
}

Console.WriteLine();
Console.WriteLine($"Done. Files are in {dataDirectory} (dev.kek is the development key-encryption key).");

static void Step(string title)
{
    Console.WriteLine();
    Console.WriteLine(title);
}

static string Hex(byte[] value) => Convert.ToHexString(value.AsSpan(0, Math.Min(value.Length, 12))) + "…";
