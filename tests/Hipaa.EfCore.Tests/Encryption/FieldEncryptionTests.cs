using System.Text;
using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Hipaa.EfCore.Tests.Encryption;

/// <summary>Field encryption end to end through EF Core, run against SQLite and against the real PostgreSQL.</summary>
public abstract class FieldEncryptionTests : IDisposable
{
    private readonly TestDatabase _database;
    private readonly CountingKeyEncryptionKey _kek = new("kek-1");

    protected FieldEncryptionTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void SaveChanges_EverySupportedType_RoundTripsThroughTheDatabase()
    {
        using var host = Host();
        var (patient, note) = NewPatientWithNote();
        using (var context = host.CreateContext())
        {
            context.Add(patient);
            context.Add(note);
            context.SaveChanges();
        }

        using (var context = host.CreateContext())
        {
            var readPatient = context.Patients.Single(p => p.Id == patient.Id);
            Assert.Equal(patient.Mrn, readPatient.Mrn);
            Assert.Equal(patient.Ssn, readPatient.Ssn);
            Assert.Equal(patient.BirthDate, readPatient.BirthDate);
            Assert.Equal(patient.ExternalNumber, readPatient.ExternalNumber);

            var read = context.Notes.AsNoTracking().Single(n => n.Id == note.Id);
            Assert.Equal(note.Text, read.Text);
            Assert.Equal(note.Attachment, read.Attachment);
            Assert.Equal(note.Severity, read.Severity);
            Assert.Equal(note.Counter, read.Counter);
            Assert.Equal(note.Amount, read.Amount);
            Assert.Equal(note.Score, read.Score);
            Assert.Equal(note.Flagged, read.Flagged);
            Assert.Equal(note.Reference, read.Reference);
            Assert.Equal(note.Kind, read.Kind);
            Assert.Equal(note.WrittenAt, read.WrittenAt);
            Assert.Equal(note.WrittenAt.Kind, read.WrittenAt.Kind);
            Assert.Equal(note.SignedAt, read.SignedAt);
            Assert.Equal(note.SignedAt.Offset, read.SignedAt.Offset);
        }
    }

    [Fact]
    public async Task SaveChangesAsync_ThenProjectionIncludeAndNoTracking_AllDecrypt()
    {
        using var host = Host();
        var (patient, note) = NewPatientWithNote();
        await using (var context = host.CreateContext())
        {
            context.AddRange(patient, note);
            await context.SaveChangesAsync();
        }

        await using (var context = host.CreateContext())
        {
            var ssn = await context.Patients.Where(p => p.Id == patient.Id).Select(p => p.Ssn).SingleAsync();
            Assert.Equal(patient.Ssn, ssn);

            var shaped = await context.Patients.Where(p => p.Id == patient.Id).Select(p => new { p.DisplayName, p.Mrn }).SingleAsync();
            Assert.Equal(patient.Mrn, shaped.Mrn);

            var withNotes = await context.Patients.AsNoTracking().Include(p => p.Notes).SingleAsync(p => p.Id == patient.Id);
            Assert.Equal(note.Text, Assert.Single(withNotes.Notes).Text);
        }
    }

    [Fact]
    public void RawColumns_ReadWithAdoNet_NeverContainThePlaintext()
    {
        using var host = Host();
        var (patient, note) = NewPatientWithNote();
        using (var context = host.CreateContext())
        {
            context.AddRange(patient, note);
            context.Add(new Insurance { Id = Guid.NewGuid(), PatientId = patient.Id, PolicyNumber = "POLICY-778899", Carrier = "Acme" });
            context.SaveChanges();
        }

        AssertNoPlaintext("Patients", "Ssn", patient.Ssn!);
        AssertNoPlaintext("Patients", "Mrn", patient.Mrn!);
        AssertNoPlaintext("Patients", "Mrn_bidx", patient.Mrn!);
        AssertNoPlaintext("Notes", "Text", note.Text);
        AssertNoPlaintext("Insurances", "PolicyNumber", "POLICY-778899");
        var stored = Assert.Single(_database.ReadColumn("Notes", "Text"))!;
        Assert.Equal(FieldCiphertext.FormatVersion2, stored[0]);
        Assert.Equal(FieldCiphertext.Overhead + Encoding.UTF8.GetByteCount(note.Text), stored.Length);
    }

    [Fact]
    public void Where_EqualityOnSearchableProperties_FindsRowsThroughTheBlindIndex()
    {
        using var host = Host();
        Guid first, second;
        using (var context = host.CreateContext())
        {
            var a = new Patient { Id = Guid.NewGuid(), DisplayName = "A", Mrn = "MRN-1", ExternalNumber = 7 };
            var b = new Patient { Id = Guid.NewGuid(), DisplayName = "B", Mrn = "MRN-2", ExternalNumber = 8 };
            var c = new Patient { Id = Guid.NewGuid(), DisplayName = "C", Mrn = null };
            context.AddRange(a, b, c);
            context.Add(new Insurance { Id = Guid.NewGuid(), PatientId = a.Id, PolicyNumber = "P-1", Carrier = "Acme" });
            context.SaveChanges();
            (first, second) = (a.Id, b.Id);
        }

        using (var context = host.CreateContext())
        {
            var mrn = "MRN-2";
            Assert.Equal(second, context.Patients.Single(p => p.Mrn == mrn).Id);
            Assert.Equal(first, context.Patients.Single(p => p.ExternalNumber == 7).Id);
            Assert.Equal(first, context.Patients.Single(p => "MRN-1" == p.Mrn).Id);
            Assert.Equal(first, context.Patients.Single(p => p.Mrn!.Equals("MRN-1")).Id);
            Assert.Equal(2, context.Patients.Count(p => p.Mrn != mrn));
            Assert.Equal("C", context.Patients.Single(p => p.Mrn == null).DisplayName);
            Assert.Empty(context.Patients.Where(p => p.Mrn == "MRN-3").ToList());
            Assert.Equal(first, context.Insurances.Single(i => i.PolicyNumber == "P-1").PatientId);
        }
    }

    [Fact]
    public void Where_OperatorsCiphertextCannotAnswer_ThrowNotSupportedInsteadOfReturningNothing()
    {
        using var host = Host();
        using var context = host.CreateContext();
        var contains = Assert.Throws<NotSupportedException>(() => context.Patients.Where(p => p.Mrn!.Contains("RN")).ToList());
        Assert.Contains("Patient.Mrn is encrypted", contains.Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => context.Patients.Where(p => p.Mrn!.StartsWith("MRN", StringComparison.Ordinal)).ToList());
        Assert.Throws<NotSupportedException>(() => context.Patients.OrderBy(p => p.Mrn).ToList());
        Assert.Throws<NotSupportedException>(() => context.Patients.Where(p => p.ExternalNumber > 3).ToList());
        var notSearchable = Assert.Throws<NotSupportedException>(() => context.Patients.Where(p => p.Ssn == "123").ToList());
        Assert.Contains("Searchable", notSearchable.Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => context.Patients.ExecuteUpdate(s => s.SetProperty(p => p.Ssn, "x")));
    }

    [Fact]
    public void Update_ChangedEncryptedValue_IsReencryptedAndUnchangedValuesAreNotRewritten()
    {
        using var host = Host();
        var (patient, note) = NewPatientWithNote();
        using (var context = host.CreateContext())
        {
            context.AddRange(patient, note);
            context.SaveChanges();
        }

        var ssnBefore = _database.ReadColumn("Patients", "Ssn").Single();
        var mrnBefore = _database.ReadColumn("Patients", "Mrn").Single();
        using (var context = host.CreateContext())
        {
            var tracked = context.Patients.Single();
            tracked.Mrn = "MRN-NEW";
            tracked.DisplayName = "renamed";
            context.SaveChanges();
        }

        Assert.Equal(ssnBefore, _database.ReadColumn("Patients", "Ssn").Single());
        Assert.NotEqual(mrnBefore, _database.ReadColumn("Patients", "Mrn").Single());
        using (var context = host.CreateContext())
        {
            Assert.Equal("renamed", context.Patients.Single(p => p.Mrn == "MRN-NEW").DisplayName);
            Assert.Empty(context.Patients.Where(p => p.Mrn == patient.Mrn).ToList());
            Assert.Equal(patient.Ssn, context.Patients.Single().Ssn);
        }
    }

    [Fact]
    public void Delete_BySearchableValue_RemovesRowsAndBulkStatementsGoByTheKeysOfAVerifiedSearch()
    {
        using var host = Host();
        using (var context = host.CreateContext())
        {
            context.AddRange(
                new Patient { Id = Guid.NewGuid(), DisplayName = "A", Mrn = "M-A" },
                new Patient { Id = Guid.NewGuid(), DisplayName = "B", Mrn = "M-B" },
                new Patient { Id = Guid.NewGuid(), DisplayName = "C", Mrn = "M-C" });
            context.SaveChanges();
        }

        using (var context = host.CreateContext())
        {
            var (a, b, c) = ("M-A", "M-B", "M-C");
            context.Remove(context.Patients.Single(p => p.Mrn == a));
            context.SaveChanges();

            // A bulk statement filtered by a blind index is refused (nothing could check the rows it acts on); by key it runs.
            Assert.Throws<NotSupportedException>(() => context.Patients.Where(p => p.Mrn == b).ExecuteDelete());
            var bIds = context.Patients.Where(p => p.Mrn == b).Select(p => p.Id).ToList();
            Assert.Equal(1, context.Patients.Where(p => bIds.Contains(p.Id)).ExecuteDelete());
            var cIds = context.Patients.Where(p => p.Mrn == c).Select(p => p.Id).ToList();
            Assert.Equal(1, context.Patients.Where(p => cIds.Contains(p.Id)).ExecuteUpdate(s => s.SetProperty(p => p.DisplayName, "updated")));
        }

        using (var context = host.CreateContext())
        {
            var remaining = Assert.Single(context.Patients.ToList());
            Assert.Equal(("updated", "M-C"), (remaining.DisplayName, remaining.Mrn));
        }
    }

    [Fact]
    public void Ciphertext_CopiedIntoAnotherRow_FailsAuthentication()
    {
        using var host = Host(o => o.KeyScope = KeyScope.Application);
        var a = new Patient { Id = Guid.NewGuid(), DisplayName = "A", Ssn = "111-11-1111" };
        var b = new Patient { Id = Guid.NewGuid(), DisplayName = "B", Ssn = "222-22-2222" };
        using (var context = host.CreateContext())
        {
            context.AddRange(a, b);
            context.SaveChanges();
        }

        _database.Execute("UPDATE \"Patients\" SET \"Ssn\" = (SELECT \"Ssn\" FROM \"Patients\" WHERE \"DisplayName\" = 'A') WHERE \"DisplayName\" = 'B'");
        using var read = host.CreateContext();
        Assert.Equal(a.Ssn, read.Patients.AsNoTracking().Single(p => p.DisplayName == "A").Ssn);
        var failure = Assert.Throws<FieldDecryptionException>(() => read.Patients.AsNoTracking().Single(p => p.DisplayName == "B"));
        Assert.Equal(FieldDecryptionFailure.AuthenticationFailed, failure.Failure);
        Assert.Equal(("Patient", "Ssn"), (failure.Entity, failure.Property));
        Assert.NotNull(failure.KeyId);
        Assert.DoesNotContain("111-11-1111", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ciphertext_CopiedIntoAnotherColumn_FailsAuthentication()
    {
        using var host = Host(o => o.KeyScope = KeyScope.Application);
        using (var context = host.CreateContext())
        {
            context.Add(new Patient { Id = Guid.NewGuid(), DisplayName = "A", Ssn = "111-11-1111", Mrn = "MRN-1" });
            context.SaveChanges();
        }

        _database.Execute("UPDATE \"Patients\" SET \"Mrn\" = \"Ssn\"");
        using var read = host.CreateContext();
        var failure = Assert.Throws<FieldDecryptionException>(() => read.Patients.ToList());
        Assert.Equal(FieldDecryptionFailure.AuthenticationFailed, failure.Failure);
        Assert.Equal("Mrn", failure.Property);
    }

    [Fact]
    public void Ciphertext_CopiedToATableOfTheSameNameInAnotherSchema_FailsAuthentication()
    {
        // Issue 9, finding 7: a note copied to archive."Notes" decrypted, because format version 1 did not bind the schema.
        using var host = Host();
        var (patient, note) = NewPatientWithNote();
        using (var context = host.CreateContext())
        {
            context.AddRange(patient, note);
            context.SaveChanges();
        }

        using var archive = host.CreateArchiveContext();
        archive.GetService<IRelationalDatabaseCreator>().CreateTables();
        var columns = archive.Model.FindEntityType(typeof(Note))!.GetProperties().Select(p => p.GetColumnName()).ToList();
        _database.CopyToArchive("Notes", columns);

        var failure = Assert.Throws<FieldDecryptionException>(() => archive.Notes.AsNoTracking().Single(n => n.Id == note.Id));

        Assert.Equal(FieldDecryptionFailure.AuthenticationFailed, failure.Failure);
        Assert.Equal("Note", failure.Entity);
        Assert.DoesNotContain(note.Text, failure.Message, StringComparison.Ordinal);

        // The archive itself works, and the original still reads: what fails is the copy, bound to the other schema.
        var archived = new Note { Id = Guid.NewGuid(), PatientId = patient.Id, Title = "Archived", Text = "Written to the archive." };
        using (var write = host.CreateArchiveContext())
        {
            write.Add(archived);
            write.SaveChanges();
        }

        using (var read = host.CreateArchiveContext())
        {
            Assert.Equal(archived.Text, read.Notes.AsNoTracking().Single(n => n.Id == archived.Id).Text);
        }

        using var clinic = host.CreateContext();
        Assert.Equal(note.Text, clinic.Notes.AsNoTracking().Single(n => n.Id == note.Id).Text);
    }

    [Fact]
    public void Ciphertext_WithAFlippedBitOrTruncated_IsRejected()
    {
        using var host = Host();
        var (patient, note) = NewPatientWithNote();
        using (var context = host.CreateContext())
        {
            context.AddRange(patient, note);
            context.SaveChanges();
        }

        var stored = _database.ReadColumn("Notes", "Text").Single()!;
        var flipped = (byte[])stored.Clone();
        flipped[^20] ^= 0x01;
        _database.Execute("UPDATE \"Notes\" SET \"Text\" = @v", ("@v", flipped));
        using (var read = host.CreateContext())
        {
            Assert.Equal(FieldDecryptionFailure.AuthenticationFailed, Assert.Throws<FieldDecryptionException>(() => read.Notes.ToList()).Failure);
        }

        _database.Execute("UPDATE \"Notes\" SET \"Text\" = @v", ("@v", stored[..20]));
        using (var read = host.CreateContext())
        {
            Assert.Equal(FieldDecryptionFailure.Malformed, Assert.Throws<FieldDecryptionException>(() => read.Notes.ToList()).Failure);
        }
    }

    [Fact]
    public void Ciphertext_OfAnotherKeyStore_IsReportedAsUnknownKey()
    {
        using var host = Host();
        using (var context = host.CreateContext())
        {
            context.Add(new Patient { Id = Guid.NewGuid(), DisplayName = "A", Ssn = "111" });
            context.SaveChanges();
        }

        var stored = _database.ReadColumn("Patients", "Ssn").Single()!;
        Guid.NewGuid().TryWriteBytes(stored.AsSpan(2, 16), bigEndian: true, out _);
        _database.Execute("UPDATE \"Patients\" SET \"Ssn\" = @v", ("@v", stored));
        using var read = host.CreateContext();
        var failure = Assert.Throws<FieldDecryptionException>(() => read.Patients.ToList());
        Assert.Equal(FieldDecryptionFailure.UnknownKey, failure.Failure);
        Assert.Contains(failure.KeyId!, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShredPatient_TheirValuesCanNeverBeReadAgain_OtherPatientsUnaffected()
    {
        using var host = Host();
        var (erased, erasedNote) = NewPatientWithNote();
        var (kept, keptNote) = NewPatientWithNote();
        await using (var context = host.CreateContext())
        {
            context.AddRange(erased, erasedNote, kept, keptNote);
            await context.SaveChangesAsync();
        }

        Assert.Equal(1, await host.Keys.ShredAsync(DataKeyScope.ForPatient(erased.Id.ToString())));
        await using (var context = host.CreateContext())
        {
            Assert.Equal(keptNote.Text, (await context.Notes.SingleAsync(n => n.PatientId == kept.Id)).Text);
            var failure = await Assert.ThrowsAsync<FieldDecryptionException>(() => context.Notes.Where(n => n.PatientId == erased.Id).ToListAsync());
            Assert.Equal(FieldDecryptionFailure.KeyDestroyed, failure.Failure);
            Assert.Equal("Note", failure.Entity);
        }

        // A second instance (cold cache) sees the same; under ReturnNull nullable properties read as null, others still refuse.
        using var lenient = Host(o => o.ShreddedValues = ShreddedValueHandling.ReturnNull);
        await using (var context = lenient.CreateContext())
        {
            var patient = await context.Patients.SingleAsync(p => p.Id == erased.Id);
            Assert.Null(patient.Ssn);
            Assert.Null(patient.Mrn);
            Assert.Equal(erased.DisplayName, patient.DisplayName);
            var failure = await Assert.ThrowsAsync<FieldDecryptionException>(() => context.Notes.Where(n => n.PatientId == erased.Id).ToListAsync());
            Assert.Equal(FieldDecryptionFailure.KeyDestroyed, failure.Failure);
        }
    }

    [Fact]
    public async Task ShredPatient_UnderReturnNull_ANonNullableStringStillThrowsWhileANullableOneReadsNull()
    {
        using var host = Host(o => o.ShreddedValues = ShreddedValueHandling.ReturnNull);
        var patientId = Guid.NewGuid();
        await using (var context = host.CreateContext())
        {
            context.Add(new Prescription { Id = Guid.NewGuid(), PatientId = patientId, Drug = "sertraline", Dose = "50 mg" });
            context.Add(new PsychotherapyNote { Id = Guid.NewGuid(), PatientId = patientId, AuthorId = "dr-a", Text = "session notes" });
            await context.SaveChangesAsync();
        }

        await host.Keys.ShredAsync(DataKeyScope.ForPatient(patientId));
        await using (var context = host.CreateContext())
        {
            Assert.Null((await context.Prescriptions.SingleAsync()).Dose); // string?: null is what it may hold

            // PsychotherapyNote.Text is a non-nullable string: null would break its declared contract and "" would read as
            // a real (empty) note, so it throws as a non-nullable int does.
            var failure = await Assert.ThrowsAsync<FieldDecryptionException>(() => context.PsychotherapyNotes.ToListAsync());
            Assert.Equal((FieldDecryptionFailure.KeyDestroyed, "PsychotherapyNote", "Text"), (failure.Failure, failure.Entity, failure.Property));
        }
    }

    [Fact]
    public async Task SaveChanges_WhenTheKeyServiceIsDown_FailsClosedAndWritesNothing()
    {
        var kek = new CountingKeyEncryptionKey("kek-down") { Fail = true };
        using var host = new EncryptionHost(_database, kek);
        var (patient, note) = NewPatientWithNote();
        await using (var context = host.CreateContext())
        {
            context.AddRange(patient, note);
            var failure = await Assert.ThrowsAsync<KeyServiceUnavailableException>(() => context.SaveChangesAsync());
            Assert.Contains("kek-down", failure.Message, StringComparison.Ordinal);
            Assert.Throws<KeyServiceUnavailableException>(() => context.SaveChanges());
        }

        Assert.Empty(_database.ReadColumn("Patients", "Ssn"));
        Assert.Empty(_database.ReadColumn("Notes", "Text"));
    }

    [Fact]
    public void EmptyStringAndNull_StayDistinct()
    {
        using var host = Host();
        using (var context = host.CreateContext())
        {
            context.AddRange(
                new Patient { Id = Guid.NewGuid(), DisplayName = "empty", Ssn = string.Empty },
                new Patient { Id = Guid.NewGuid(), DisplayName = "null", Ssn = null });
            context.SaveChanges();
        }

        using (var context = host.CreateContext())
        {
            Assert.Equal(string.Empty, context.Patients.Single(p => p.DisplayName == "empty").Ssn);
            Assert.Null(context.Patients.Single(p => p.DisplayName == "null").Ssn);
        }

        var column = _database.ReadColumn("Patients", "Ssn");
        Assert.Single(column, v => v is null);
        Assert.Single(column, v => v is { Length: FieldCiphertext.Overhead });
    }

    [Fact]
    public void SaveChanges_EntityWithStoreGeneratedKey_ExplainsThatTheKeyMustBeKnown()
    {
        using var host = Host();
        using var context = host.CreateContext();
        context.Add(new Legacy { Secret = "s" });
        var failure = Assert.Throws<InvalidOperationException>(() => context.SaveChanges());
        Assert.Contains("store-generated key", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_database.ReadColumn("Legacies", "Secret"));
    }

    [Fact]
    public async Task KeyCache_ManyReadsAndConcurrentFirstReads_CallTheKekOncePerCachePeriod()
    {
        using (var writer = Host())
        await using (var context = writer.CreateContext())
        {
            for (var i = 0; i < 20; i++)
            {
                var (patient, note) = NewPatientWithNote();
                context.AddRange(patient, note);
            }

            await context.SaveChangesAsync();
        }

        Assert.Equal(0, _kek.Unwraps);
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-25T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        _kek.UnwrapDelay = TimeSpan.FromMilliseconds(100);
        using var reader = Host(time: time);
        using var start = new ManualResetEventSlim();
        var reads = Enumerable.Range(0, 16).Select(_ => Task.Run(() =>
        {
            start.Wait();
            using var context = reader.CreateContext();
            return context.Notes.AsNoTracking().ToList().Count;
        })).ToList();
        start.Set();
        Assert.All(await Task.WhenAll(reads), count => Assert.Equal(20, count));
        Assert.Equal(1, _kek.Unwraps);

        for (var i = 0; i < 50; i++)
        {
            using var context = reader.CreateContext();
            Assert.Equal(20, context.Patients.AsNoTracking().ToList().Count);
        }

        Assert.Equal(1, _kek.Unwraps);
        time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        using (var context = reader.CreateContext())
        {
            Assert.Equal(20, context.Notes.AsNoTracking().ToList().Count);
        }

        Assert.Equal(2, _kek.Unwraps);
    }

    [Fact]
    public async Task RotateKekAndRollDataKey_WhileOtherThreadsRead_NoReadFailsAndOldValuesMove()
    {
        var next = new CountingKeyEncryptionKey("kek-2");
        var resolver = new FixedKeyResolver(_kek, next);
        using var host = new EncryptionHost(_database, _kek, o => o.KeyScope = KeyScope.Application, resolver: resolver);
        var expected = new Dictionary<Guid, string>();
        await using (var context = host.CreateContext())
        {
            for (var i = 0; i < 30; i++)
            {
                var (patient, note) = NewPatientWithNote();
                context.AddRange(patient, note);
                expected[note.Id] = note.Text;
            }

            await context.SaveChangesAsync();
        }

        var keyBefore = KeyIdsOf("Notes", "Text").Single();
        using var stop = new CancellationTokenSource();
        var failures = 0;
        var readsDone = 0;
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    // Each reader is another instance with a short cache, so it re-reads the key table during the rotation.
                    using var context = host.CreateContext();
                    foreach (var note in context.Notes.AsNoTracking().ToList())
                    {
                        if (expected[note.Id] != note.Text)
                        {
                            Interlocked.Increment(ref failures);
                        }
                    }

                    Interlocked.Increment(ref readsDone);
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToList();

        using (var other = new EncryptionHost(_database, _kek, o => { o.KeyScope = KeyScope.Application; o.KeyCacheLifetime = TimeSpan.FromMilliseconds(20); }, resolver: resolver))
        {
            Assert.Equal(1, await other.Keys.RotateKeyEncryptionKeyAsync(next, KeyWrapAlgorithm.AesGcmKeyWrap256));
            var newKey = await other.Keys.RollDataKeyAsync(DataKeyScope.Application);
            await using var context = other.CreateContext();
            var result = await other.Keys.ReencryptAsync(context, batchSize: 7);
            Assert.Equal(30 + 30, result.RowsScanned);
            Assert.True(result.ValuesRewritten >= 30 * 12, $"Rewrote {result.ValuesRewritten} values.");
            Assert.Equal(newKey, KeyIdsOf("Notes", "Text").Single());
            Assert.NotEqual(keyBefore, newKey);
        }

        while (Volatile.Read(ref readsDone) < 10)
        {
            await Task.Delay(10);
        }

        await stop.CancelAsync();
        await Task.WhenAll(readers);
        Assert.Equal(0, failures);

        // An instance that only has the new KEK reads everything; one that only has the old KEK cannot unwrap.
        using (var onlyNew = new EncryptionHost(_database, next, o => o.KeyScope = KeyScope.Application))
        await using (var context = onlyNew.CreateContext())
        {
            Assert.All(await context.Notes.AsNoTracking().ToListAsync(), n => Assert.Equal(expected[n.Id], n.Text));
        }

        using (var onlyOld = new EncryptionHost(_database, new CountingKeyEncryptionKey("kek-1"), o => o.KeyScope = KeyScope.Application))
        await using (var context = onlyOld.CreateContext())
        {
            var failure = await Assert.ThrowsAsync<KeyServiceUnavailableException>(() => context.Notes.ToListAsync());
            Assert.Contains("kek-2", failure.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task EncryptExistingData_PlaintextColumn_IsEncryptedInPlaceAndReadableThroughout()
    {
        var ids = new[] { Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid() };
        using (var host = Host())
        {
            // Rows written before encryption was turned on: plaintext bytes in the Ssn column.
            foreach (var (id, index) in ids.Select((id, i) => (id, i)))
            {
                _database.Execute(
                    "INSERT INTO \"Patients\" (\"Id\", \"DisplayName\", \"Ssn\") VALUES (@id, @name, @ssn)",
                    ("@id", id), ("@name", "legacy-" + index), ("@ssn", Encoding.UTF8.GetBytes("900-00-000" + index)));
            }

            await using var strict = host.CreateContext();
            var refused = await Assert.ThrowsAsync<FieldDecryptionException>(() => strict.Patients.ToListAsync());
            Assert.Equal(FieldDecryptionFailure.Malformed, refused.Failure);
            Assert.Contains("EncryptExistingDataAsync", refused.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<InvalidOperationException>(() => host.Keys.EncryptExistingDataAsync(strict));
        }

        using (var migrating = Host(o => o.AllowPlaintextReadsDuringMigration = true))
        {
            await using var context = migrating.CreateContext();
            Assert.Equal("900-00-0001", (await context.Patients.SingleAsync(p => p.Id == ids[1])).Ssn);
            context.ChangeTracker.Clear();
            var result = await migrating.Keys.EncryptExistingDataAsync(context, batchSize: 2);
            Assert.Equal((3L, 3L), (result.RowsScanned, result.ValuesRewritten));
            var again = await migrating.Keys.EncryptExistingDataAsync(context, batchSize: 2);
            Assert.Equal(0, again.ValuesRewritten);
        }

        Assert.All(_database.ReadColumn("Patients", "Ssn"), v => Assert.True(FieldCiphertext.LooksEncrypted(v)));
        using (var strict = Host())
        await using (var context = strict.CreateContext())
        {
            var patients = await context.Patients.OrderBy(p => p.DisplayName).ToListAsync();
            Assert.Equal(["900-00-0000", "900-00-0001", "900-00-0002"], patients.Select(p => p.Ssn));
        }
    }

    private EncryptionHost Host(Action<FieldEncryptionOptions>? configure = null, TimeProvider? time = null) =>
        new(_database, _kek, configure, time);

    private void AssertNoPlaintext(string table, string column, string plaintext)
    {
        var needle = Encoding.UTF8.GetBytes(plaintext);
        foreach (var value in _database.ReadColumn(table, column))
        {
            Assert.NotNull(value);
            Assert.True(value.AsSpan().IndexOf(needle) < 0, $"{table}.{column} contains the plaintext.");
            Assert.DoesNotContain(plaintext, Encoding.UTF8.GetString(value), StringComparison.Ordinal);
        }
    }

    private List<Guid> KeyIdsOf(string table, string column) =>
        _database.ReadColumn(table, column).Select(v => new Guid(v.AsSpan(2, 16), bigEndian: true)).Distinct().ToList();

    private static (Patient Patient, Note Note) NewPatientWithNote()
    {
        var patient = new Patient
        {
            Id = Guid.NewGuid(),
            DisplayName = "J. Doe",
            Mrn = "MRN-" + Guid.NewGuid().ToString("N")[..8],
            Ssn = "123-45-" + Random.Shared.Next(1000, 9999).ToString(System.Globalization.CultureInfo.InvariantCulture),
            BirthDate = new DateOnly(1980, 2, 29),
            ExternalNumber = Random.Shared.Next(),
        };
        var note = new Note
        {
            Id = Guid.NewGuid(),
            PatientId = patient.Id,
            Title = "Session",
            Text = "Patient reports improved sleep; discussed coping strategies. ✓ 😀",
            Attachment = [0, 1, 2, 255],
            Severity = -3,
            Counter = long.MaxValue,
            Amount = 1234.5600m,
            Score = Math.PI,
            Flagged = true,
            Reference = Guid.NewGuid(),
            Kind = NoteKind.Progress,
            WrittenAt = new DateTime(2026, 3, 2, 15, 0, 0, DateTimeKind.Utc),
            SignedAt = new DateTimeOffset(2026, 3, 2, 10, 30, 0, TimeSpan.FromHours(-5)),
        };
        return (patient, note);
    }
}

public sealed class SqliteFieldEncryptionTests() : FieldEncryptionTests("sqlite");

public sealed class PostgresFieldEncryptionTests() : FieldEncryptionTests("postgres");
