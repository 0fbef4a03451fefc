using System.Security.Cryptography;
using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Hipaa.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Hipaa.EfCore.Tests.Encryption;

/// <summary>
/// Key operations as an attacker, a race or an unlucky operator meets them (issue 9): a forged intermediate key made
/// with an asymmetric KEK's public key, a roll racing a shred, a warm
/// second instance writing after a shred, a shred named in another spelling, a shred of nothing. Run against SQLite and
/// against the real PostgreSQL.
/// </summary>
public abstract class FieldEncryptionKeyManagerTests : IDisposable
{
    private readonly TestDatabase _database;
    private readonly CountingKeyEncryptionKey _kek = new("kek-manager");

    protected FieldEncryptionKeyManagerTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    // ---- Finding 1: a forged intermediate key ----

    [Fact]
    public async Task ForgedRootKeyOneVersionHigher_MadeWithTheKekPublicKeyOnly_IsRefusedAndNothingIsWrappedUnderIt()
    {
        using var kek = new RsaKeyEncryptionKey("rsa-kek");
        Patient existing;
        using (var before = RsaHost(kek))
        {
            existing = await SavePatientAsync(before);
        }

        // The attacker has the KEK's public key and write access to the key table, and knows the key it wraps.
        var forgedMaterial = RandomNumberGenerator.GetBytes(32);
        var forged = InsertForgedRoot(kek, forgedMaterial, version: 2);

        using var host = RsaHost(kek);
        await using (var context = host.CreateContext())
        {
            context.Add(new Patient { Id = Guid.NewGuid(), DisplayName = "New", Ssn = "987-65-4321" });
            var failure = await Assert.ThrowsAsync<KeyAuthenticationException>(() => context.SaveChangesAsync());
            Assert.Equal(forged.Id.ToString(), failure.KeyId);
        }

        Assert.DoesNotContain(AllKeys(), k => k.WrappedBy == forged.Id.ToString());
        await using (var context = host.CreateContext())
        {
            Assert.Equal(existing.Ssn, (await context.Patients.SingleAsync(p => p.Id == existing.Id)).Ssn);
        }
    }

    [Fact]
    public async Task ForgedRootKey_WithALinkTheAttackerMadeUnderItsOwnKey_IsRefused()
    {
        using var kek = new RsaKeyEncryptionKey("rsa-kek");
        using (var before = RsaHost(kek))
        {
            await SavePatientAsync(before);
        }

        // The best the attacker can do: a link computed with a key they know, claiming the genuine version 1 as predecessor.
        var genuine = Assert.Single(AllKeys(), k => k.Kind == DataKeyKind.Intermediate);
        var forgedMaterial = RandomNumberGenerator.GetBytes(32);
        var forged = InsertForgedRoot(kek, forgedMaterial, version: 2, change: r => r.Authenticator = RootKeyAuthenticator.Link(forgedMaterial, genuine.Id, r, forgedMaterial));

        using var host = RsaHost(kek);
        await using var context = host.CreateContext();
        context.Add(new Patient { Id = Guid.NewGuid(), DisplayName = "New", Ssn = "987-65-4321" });
        var failure = await Assert.ThrowsAsync<KeyAuthenticationException>(() => context.SaveChangesAsync());
        Assert.Equal(forged.Id.ToString(), failure.KeyId);
        Assert.DoesNotContain(AllKeys(), k => k.WrappedBy == forged.Id.ToString());
    }

    [Fact]
    public async Task PinnedRootKey_KeyTableReplacedOrEmptiedByAnAttacker_IsRefused()
    {
        using var kek = new RsaKeyEncryptionKey("rsa-kek");
        string pin;
        using (var before = RsaHost(kek))
        {
            await SavePatientAsync(before);
            pin = await before.Keys.GetRootKeyPinAsync();
        }

        using (var pinned = RsaHost(kek, o => o.RootKeyPin = pin))
        {
            await SavePatientAsync(pinned); // the genuine key table passes
        }

        // The attacker deletes every key (destroying all existing values) and plants a hierarchy of their own.
        _database.Execute("DELETE FROM hipaa_keys");
        var forged = InsertForgedRoot(kek, RandomNumberGenerator.GetBytes(32), version: 1);
        using (var host = RsaHost(kek, o => o.RootKeyPin = pin))
        await using (var context = host.CreateContext())
        {
            context.Add(new Patient { Id = Guid.NewGuid(), DisplayName = "New", Ssn = "987-65-4321" });
            var failure = await Assert.ThrowsAsync<KeyAuthenticationException>(() => context.SaveChangesAsync());
            Assert.Equal(forged.Id.ToString(), failure.KeyId);
        }

        Assert.DoesNotContain(AllKeys(), k => k.Kind != DataKeyKind.Intermediate);

        // Or leaves the table empty, so that the application would start a new hierarchy.
        _database.Execute("DELETE FROM hipaa_keys");
        using (var host = RsaHost(kek, o => o.RootKeyPin = pin))
        await using (var context = host.CreateContext())
        {
            context.Add(new Patient { Id = Guid.NewGuid(), DisplayName = "New", Ssn = "987-65-4321" });
            await Assert.ThrowsAsync<KeyAuthenticationException>(() => context.SaveChangesAsync());
        }

        Assert.Empty(AllKeys());
    }

    [Fact]
    public async Task RollIntermediateKeyThenRotateKek_ColdInstanceWithOnlyTheNewKekReadsEverythingAndWritesUnderTheNewKey()
    {
        using var oldKek = new RsaKeyEncryptionKey("rsa-kek-1");
        using var newKek = new RsaKeyEncryptionKey("rsa-kek-2");
        Patient first, second;
        Guid rolled;
        using (var host = new EncryptionHost(_database, oldKek, resolver: new FixedKeyResolver(oldKek, newKek), algorithm: KeyWrapAlgorithm.RsaOaep256))
        {
            first = await SavePatientAsync(host);
            rolled = await host.Keys.RollIntermediateKeyAsync();
            second = await SavePatientAsync(host);
            Assert.Equal(2, await host.Keys.RotateKeyEncryptionKeyAsync(newKek, KeyWrapAlgorithm.RsaOaep256));
        }

        using var cold = RsaHost(newKek);
        await using (var context = cold.CreateContext())
        {
            Assert.Equal(first.Ssn, (await context.Patients.SingleAsync(p => p.Id == first.Id)).Ssn);
            Assert.Equal(second.Ssn, (await context.Patients.SingleAsync(p => p.Id == second.Id)).Ssn);
        }

        var third = await SavePatientAsync(cold);
        var keys = AllKeys();
        Assert.Equal(rolled.ToString(), Assert.Single(keys, k => k.Scope == KeyScopes.Patient(third.Id.ToString())).WrappedBy);
        Assert.Equal(rolled.ToString(), Assert.Single(keys, k => k.Scope == KeyScopes.Patient(second.Id.ToString())).WrappedBy);
        Assert.NotEqual(rolled.ToString(), Assert.Single(keys, k => k.Scope == KeyScopes.Patient(first.Id.ToString())).WrappedBy);
        Assert.All(keys.Where(k => k.Kind == DataKeyKind.Intermediate), k => Assert.Equal(newKek.KeyId, k.WrappedBy));
    }

    // ---- Finding 2: a roll racing a shred ----

    [Fact]
    public async Task RollDataKey_RacingAShredThatCommitsFirst_NeverResurrectsTheDestroyedKey()
    {
        using var host = Host();
        var patient = await SavePatientAsync(host);
        var scope = KeyScopes.Patient(patient.Id.ToString());
        var store = new PausingDataKeyStore(KeyStore());
        var roller = Ring(store);

        // The roller reads the active key, then is held just before it writes the key's new state.
        var pause = store.PauseNextUpdate();
        var roll = roller.RollDataKeyAsync(scope, CancellationToken.None);
        await pause.Entered;
        Assert.Equal(1, await host.Keys.ShredAsync(DataKeyScope.ForPatient(patient.Id)));
        pause.Release();
        var rolled = await Record.ExceptionAsync(() => roll);

        Assert.Equal(0, CountWrappedKeys(scope));
        await AssertShreddedOnAFreshInstanceAsync(patient);
        Assert.IsType<ShreddedScopeException>(rolled);
    }

    [Fact]
    public async Task Shred_RacingARollThatCommitsFirst_DestroysTheRolledKeyToo()
    {
        using var host = Host();
        var patient = await SavePatientAsync(host);
        var scope = KeyScopes.Patient(patient.Id.ToString());
        var store = new PausingDataKeyStore(KeyStore());
        var shredder = Ring(store);

        // The shredder lists the scope's keys, then is held just before it destroys them; a roll retires the key it
        // listed and creates the next version meanwhile.
        var pause = store.PauseNextUpdate();
        var shred = shredder.DestroyScopeAsync(scope, CancellationToken.None);
        await pause.Entered;
        await host.Keys.RollDataKeyAsync(DataKeyScope.ForPatient(patient.Id));
        pause.Release();
        await shred;

        Assert.Equal(0, CountWrappedKeys(scope));
        await AssertShreddedOnAFreshInstanceAsync(patient);
        using var writer = Host();
        await using var context = writer.CreateContext();
        context.Add(NewNote(patient.Id));
        await Assert.ThrowsAsync<ShreddedScopeException>(() => context.SaveChangesAsync());
    }

    [Fact]
    public async Task KeyTableOfAnEarlierVersion_IsUpgradedInPlaceAndItsKeysKeepWorking()
    {
        Patient patient;
        using (var before = Host())
        {
            patient = await SavePatientAsync(before);
        }

        // The table as an earlier version created it: no revision, no authenticator.
        _database.Execute($"ALTER TABLE hipaa_keys DROP COLUMN {KeyStoreDbContext.RevisionColumn}");
        _database.Execute($"ALTER TABLE hipaa_keys DROP COLUMN {KeyStoreDbContext.AuthenticatorColumn}");

        using var host = Host();
        await using (var context = host.CreateContext())
        {
            Assert.Equal(patient.Ssn, (await context.Patients.SingleAsync(p => p.Id == patient.Id)).Ssn);
        }

        var next = await SavePatientAsync(host);
        Assert.NotEqual(Guid.Empty, await host.Keys.RollDataKeyAsync(DataKeyScope.ForPatient(next.Id)));
        Assert.NotEqual(Guid.Empty, await host.Keys.RollIntermediateKeyAsync());
        await SavePatientAsync(host);
        Assert.Equal(1, await host.Keys.ShredAsync(DataKeyScope.ForPatient(patient.Id)));
        await AssertShreddedOnAFreshInstanceAsync(patient);
    }

    // ---- Finding 3: writes after a shred on a warm second instance ----

    [Fact]
    public async Task SaveChanges_OnAWarmSecondInstanceAfterAShred_IsRefusedWithinTheBoundAndWritesNothing()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero));
        using var first = Host(time: time);
        using var second = Host(time: time);
        var erased = await SavePatientAsync(second); // the second instance now holds the patient's data key
        var kept = await SavePatientAsync(second);

        await first.Keys.ShredAsync(DataKeyScope.ForPatient(erased.Id));

        // The documented bound is 10 seconds, far below the 5-minute key cache lifetime.
        time.Advance(TimeSpan.FromSeconds(11));
        await using (var context = second.CreateContext())
        {
            context.Add(NewNote(erased.Id));
            var failure = await Assert.ThrowsAsync<ShreddedScopeException>(() => context.SaveChangesAsync());
            Assert.Equal(KeyScopes.Patient(erased.Id.ToString()), failure.Scope);
            Assert.Throws<ShreddedScopeException>(() => context.SaveChanges());
        }

        Assert.Equal(0, CountNotes(erased.Id));
        await using (var context = second.CreateContext())
        {
            context.Add(NewNote(kept.Id));
            await context.SaveChangesAsync();
        }

        Assert.Equal(1, CountNotes(kept.Id));
    }

    // ---- Finding 4: a shred that does nothing ----

    [Fact]
    public async Task ShredAsync_PatientIdInUpperCase_ShredsThePatientTheWritesUsed()
    {
        using var host = Host();
        var patient = await SavePatientAsync(host);

        var destroyed = await host.Keys.ShredAsync(DataKeyScope.ForPatient(patient.Id.ToString().ToUpperInvariant()));

        Assert.Equal(1, destroyed);
        using var fresh = Host();
        await using var context = fresh.CreateContext();
        var failure = await Assert.ThrowsAsync<FieldDecryptionException>(() => context.Patients.Where(p => p.Id == patient.Id).ToListAsync());
        Assert.Equal(FieldDecryptionFailure.KeyDestroyed, failure.Failure);
    }

    [Fact]
    public async Task ShredAsync_ByText_AlsoDestroysAKeyAnEarlierVersionStoredUnderThatSpelling()
    {
        using var host = Host();
        await SavePatientAsync(host);

        // An earlier version stored a string [PatientId] holding a Guid under the spelling it had.
        var spelled = Guid.NewGuid().ToString().ToUpperInvariant();
        Ring(KeyStore()).GetEncryptionKey(KeyScopes.PatientPrefix + spelled);

        Assert.Equal(1, await host.Keys.ShredAsync(DataKeyScope.ForPatient(spelled)));
        Assert.Equal(0, CountWrappedKeys(KeyScopes.PatientPrefix + spelled));
    }

    [Fact]
    public async Task ShredAsync_ScopeWithNoKey_ThrowsSayingNothingWasShredded()
    {
        using var host = Host();
        var patient = await SavePatientAsync(host);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Keys.ShredAsync(DataKeyScope.ForPatient(Guid.NewGuid())));

        Assert.Contains("nothing was shredded", failure.Message, StringComparison.OrdinalIgnoreCase);
        await using var context = host.CreateContext();
        Assert.Equal(patient.Ssn, (await context.Patients.SingleAsync(p => p.Id == patient.Id)).Ssn);
    }

    [Fact]
    public async Task ShredAsync_TheSamePatientTwice_SecondCallDestroysNothingAndDoesNotThrow()
    {
        using var host = Host();
        var patient = await SavePatientAsync(host);

        Assert.Equal(1, await host.Keys.ShredAsync(DataKeyScope.ForPatient(patient.Id)));
        Assert.Equal(0, await host.Keys.ShredAsync(DataKeyScope.ForPatient(patient.Id)));
    }

    // ---- Finding 6: a background rewrite never overwrites a newer value ----

    [Fact]
    public async Task ReencryptAsync_AUserUpdateBetweenItsReadAndItsWrite_KeepsTheNewerValue()
    {
        using var host = new EncryptionHost(_database, _kek, interleaving: true);
        var patient = await SavePatientAsync(host);
        var note = new Note { Id = Guid.NewGuid(), PatientId = patient.Id, Title = "Session", Text = "the value before", Severity = 2 };
        await using (var context = host.CreateContext())
        {
            context.Add(note);
            await context.SaveChangesAsync();
        }

        var newKey = await host.Keys.RollDataKeyAsync(DataKeyScope.ForPatient(patient.Id));
        await using var rewrite = host.CreateContext();

        // The rewrite reads the note, then — before it writes — a user saves a newer text (encrypted under the new key).
        ReencryptionResult first;
        using (var race = InterleavingInterceptor.Arm("Notes", () => UpdateNoteTextAsync(host, note.Id, "the newer value")))
        {
            first = await host.Keys.ReencryptAsync(rewrite, batchSize: 10);
            Assert.True(race.Ran);
        }

        Assert.Equal("the newer value", await ReadNoteTextAsync(note.Id));
        Assert.Equal(1, first.RowsSkipped); // the note; the patient's row was rewritten
        Assert.True(first.ValuesRewritten >= 2, $"Rewrote {first.ValuesRewritten} values.");

        // Rerun: what the first run left (the note's other values, still under the old key) moves; the newer text stays.
        var second = await host.Keys.ReencryptAsync(rewrite, batchSize: 10);
        Assert.Equal(0, second.RowsSkipped);
        Assert.Equal(9, second.ValuesRewritten); // the note's ten non-null values but the text, which the user's save re-encrypted
        Assert.Equal("the newer value", await ReadNoteTextAsync(note.Id));
        Assert.Equal([newKey], KeyIdsOf("Notes", "Text"));
        Assert.Equal([newKey], KeyIdsOf("Notes", "Severity"));
    }

    // ---- Ciphertext format version 2: values of version 1 still read and are re-encrypted ----

    [Fact]
    public async Task ReencryptAsync_Version1Values_StillReadThenAreRewrittenInVersion2()
    {
        using var host = Host();
        var patient = await SavePatientAsync(host);
        var version1 = WriteAsVersion1(host, patient, nameof(Patient.Ssn), patient.Ssn!);
        Assert.Equal(FieldCiphertext.FormatVersion1, Assert.Single(_database.ReadColumn("Patients", "Ssn"))![0]);
        await using (var read = host.CreateContext())
        {
            Assert.Equal(patient.Ssn, (await read.Patients.AsNoTracking().SingleAsync(p => p.Id == patient.Id)).Ssn);
        }

        await using var rewrite = host.CreateContext();
        var result = await host.Keys.ReencryptAsync(rewrite, batchSize: 10);

        // Only the version 1 value needed it: every other value is version 2 under the active key already.
        Assert.Equal((1L, 1L, 0L), (result.RowsScanned, result.ValuesRewritten, result.RowsSkipped));
        var stored = Assert.Single(_database.ReadColumn("Patients", "Ssn"))!;
        Assert.Equal(FieldCiphertext.FormatVersion2, stored[0]);
        Assert.Equal(KeyIdOf(version1), KeyIdOf(stored)); // the same (active) key: only the format changed
        await using (var read = host.CreateContext())
        {
            Assert.Equal(patient.Ssn, (await read.Patients.AsNoTracking().SingleAsync(p => p.Id == patient.Id)).Ssn);
        }

        var again = await host.Keys.ReencryptAsync(rewrite, batchSize: 10);
        Assert.Equal(0, again.ValuesRewritten);
    }

    [Fact]
    public async Task EncryptExistingDataAsync_AUserUpdateBetweenItsReadAndItsWrite_KeepsTheNewerValue()
    {
        using var host = new EncryptionHost(_database, _kek, o => o.AllowPlaintextReadsDuringMigration = true, interleaving: true);
        var id = Guid.NewGuid();
        _database.Execute(
            "INSERT INTO \"Patients\" (\"Id\", \"DisplayName\", \"Ssn\") VALUES (@id, 'legacy', @ssn)",
            ("@id", id),
            ("@ssn", System.Text.Encoding.UTF8.GetBytes("900-00-0001")));
        await using var migration = host.CreateContext();

        // The migration reads the legacy plaintext, then — before it writes — a user corrects the SSN (written encrypted).
        ReencryptionResult result;
        using (var race = InterleavingInterceptor.Arm("Patients", async () =>
        {
            await using var user = host.CreateContext();
            (await user.Patients.SingleAsync(p => p.Id == id)).Ssn = "900-00-0002";
            await user.SaveChangesAsync();
        }))
        {
            result = await host.Keys.EncryptExistingDataAsync(migration, batchSize: 10);
            Assert.True(race.Ran);
        }

        Assert.Equal((1L, 0L, 1L), (result.RowsScanned, result.ValuesRewritten, result.RowsSkipped));

        Assert.All(_database.ReadColumn("Patients", "Ssn"), v => Assert.True(FieldCiphertext.LooksEncrypted(v)));
        using var strict = Host();
        await using var read = strict.CreateContext();
        Assert.Equal("900-00-0002", (await read.Patients.SingleAsync(p => p.Id == id)).Ssn);
    }

    [Fact]
    public async Task ReencryptAsync_ManyRows_SendsValuesAsParametersInOneStatementText()
    {
        var logs = new CapturingLoggerProvider();
        using var host = new EncryptionHost(_database, _kek, o => o.KeyScope = KeyScope.Application, logs: logs);
        await using (var context = host.CreateContext())
        {
            for (var i = 0; i < 12; i++)
            {
                context.Add(new Patient { Id = Guid.NewGuid(), DisplayName = "P" + i, Ssn = "123-45-67" + i, Mrn = "MRN-" + i });
            }

            await context.SaveChangesAsync();
        }

        var newKey = await host.Keys.RollDataKeyAsync(DataKeyScope.Application);
        await using var rewrite = host.CreateContext();
        var result = await host.Keys.ReencryptAsync(rewrite, batchSize: 5);

        Assert.Equal((12L, 24L, 0L), (result.RowsScanned, result.ValuesRewritten, result.RowsSkipped));
        Assert.Equal([newKey], KeyIdsOf("Patients", "Ssn"));

        // Twelve rows, one statement text: the values are parameters, not literals in the SQL (which would also make EF Core
        // compile, and cache, one statement per row).
        var updates = logs.Entries
            .Where(e => e.EventId.Id == 20101 && e.Text.Contains("UPDATE", StringComparison.Ordinal))
            .Select(e => e.Text[e.Text.IndexOf("UPDATE", StringComparison.Ordinal)..].Split(" {", 2)[0])
            .ToList();
        Assert.Equal(12, updates.Count);
        var statement = Assert.Single(updates.Distinct());
        Assert.DoesNotContain("X'", statement, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("\\x", statement, StringComparison.Ordinal);
        await using var read = host.CreateContext();
        var mrn = "MRN-7";
        Assert.Equal("P7", (await read.Patients.SingleAsync(p => p.Mrn == mrn)).DisplayName); // the blind index was kept
    }

    private static async Task UpdateNoteTextAsync(EncryptionHost host, Guid noteId, string text)
    {
        await using var user = host.CreateContext();
        (await user.Notes.SingleAsync(n => n.Id == noteId)).Text = text;
        await user.SaveChangesAsync();
    }

    private async Task<string> ReadNoteTextAsync(Guid noteId)
    {
        using var fresh = Host();
        await using var context = fresh.CreateContext();
        return (await context.Notes.AsNoTracking().SingleAsync(n => n.Id == noteId)).Text;
    }

    private static Guid KeyIdOf(byte[] stored) => new(stored.AsSpan(2, 16), bigEndian: true);

    /// <summary>Replaces a stored value with the same plaintext in format version 1, under the scope's active key, as versions before format 2 wrote it.</summary>
    private byte[] WriteAsVersion1(EncryptionHost host, Patient patient, string propertyName, object value)
    {
        var runtime = host.Runtime;
        using var context = host.CreateContext();
        var model = runtime.GetModel(context.Model.FindEntityType(typeof(Patient))!)!;
        var property = model.FindProperty(propertyName)!;
        var key = runtime.KeyRing.GetEncryptionKey(runtime.ScopeFor(model, property, patient.Id.ToString("D")));
        var stored = FieldCipher.EncryptAsVersion1ForCompatibilityTests(key, property.Codec, value, new FieldBinding(property.Binding, patient.Id, patient.Id));
        Assert.Equal(1, _database.Execute($"UPDATE \"Patients\" SET \"{property.Column}\" = @stored WHERE \"DisplayName\" = @name", ("@stored", stored), ("@name", patient.DisplayName)));
        return stored;
    }

    private List<Guid> KeyIdsOf(string table, string column) =>
        [.. _database.ReadColumn(table, column).Select(v => new Guid(v.AsSpan(2, 16), bigEndian: true)).Distinct()];

    private EncryptionHost RsaHost(RsaKeyEncryptionKey kek, Action<FieldEncryptionOptions>? configure = null) =>
        new(_database, kek, configure, algorithm: KeyWrapAlgorithm.RsaOaep256);

    private KeyStoreDbContext KeyTable()
    {
        var options = new DbContextOptionsBuilder<KeyStoreDbContext>();
        _database.Use(options);
        return new KeyStoreDbContext(options.Options);
    }

    private List<DataKeyRecord> AllKeys()
    {
        using var table = KeyTable();
        return [.. table.Keys.AsNoTracking()];
    }

    /// <summary>
    /// What someone with the KEK's public key and write access does: inserts an intermediate ("root") key row they made
    /// (through the SDK's own table mapping, which is just a convenient SQL client here).
    /// </summary>
    private DataKeyRecord InsertForgedRoot(RsaKeyEncryptionKey kek, byte[] material, int version, Action<DataKeyRecord>? change = null)
    {
        var forged = new DataKeyRecord
        {
            Id = Guid.NewGuid(),
            Kind = DataKeyKind.Intermediate,
            Scope = KeyScopes.Root,
            Version = version,
            State = DataKeyState.Active,
            WrappedKey = RsaKeyEncryptionKey.WrapWithPublicKey(kek.PublicKey, material),
            WrappedBy = kek.KeyId,
            WrapAlgorithm = KeyWrapAlgorithm.RsaOaep256,
            CreatedAt = DateTimeOffset.UnixEpoch,
        };
        change?.Invoke(forged);
        using var table = KeyTable();
        table.Keys.Add(forged);
        table.SaveChanges();
        return forged;
    }

    private EncryptionHost Host(Action<FieldEncryptionOptions>? configure = null, TimeProvider? time = null) =>
        new(_database, _kek, configure, time);

    /// <summary>The key store another application instance would use: the hosts keep their keys in the test database.</summary>
    private EfDataKeyStore KeyStore()
    {
        var options = new DbContextOptionsBuilder<KeyStoreDbContext>();
        _database.Use(options);
        return new EfDataKeyStore(options.Options);
    }

    private KeyRing Ring(IDataKeyStore store) =>
        new(store, _kek, null, new KeyRingSettings { KeyWrapAlgorithm = KeyWrapAlgorithm.AesGcmKeyWrap256 }, TimeProvider.System, NullLogger.Instance);

    private long CountWrappedKeys(string scope)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM hipaa_keys WHERE scope = @scope AND wrapped_key IS NOT NULL";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@scope";
        parameter.Value = scope;
        command.Parameters.Add(parameter);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private int CountNotes(Guid patientId)
    {
        using var host = Host();
        using var context = host.CreateContext();
        return context.Notes.Count(n => n.PatientId == patientId);
    }

    private async Task AssertShreddedOnAFreshInstanceAsync(Patient patient)
    {
        using var fresh = Host();
        await using var context = fresh.CreateContext();
        var failure = await Assert.ThrowsAsync<FieldDecryptionException>(() => context.Patients.Where(p => p.Id == patient.Id).ToListAsync());
        Assert.Equal(FieldDecryptionFailure.KeyDestroyed, failure.Failure);
    }

    private static Note NewNote(Guid patientId) => new() { Id = Guid.NewGuid(), PatientId = patientId, Title = "Session", Text = "Written after the shred." };

    private static async Task<Patient> SavePatientAsync(EncryptionHost host)
    {
        var patient = new Patient { Id = Guid.NewGuid(), DisplayName = "J. Doe", Ssn = "123-45-6789", Mrn = "MRN-" + Guid.NewGuid().ToString("N")[..8] };
        await using var context = host.CreateContext();
        context.Add(patient);
        await context.SaveChangesAsync();
        return patient;
    }
}

public sealed class SqliteFieldEncryptionKeyManagerTests() : FieldEncryptionKeyManagerTests("sqlite");

public sealed class PostgresFieldEncryptionKeyManagerTests() : FieldEncryptionKeyManagerTests("postgres");
