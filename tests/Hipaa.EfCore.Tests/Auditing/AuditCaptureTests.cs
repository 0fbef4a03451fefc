using System.Text;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Auditing;

/// <summary>What the EF Core interceptors record for each way of reading and writing PHI, on SQLite and on PostgreSQL.</summary>
public abstract class AuditCaptureTests : IDisposable
{
    private readonly TestDatabase _database;

    protected AuditCaptureTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task SaveChanges_NewPatientsAndNotes_RecordsOneCreatePerPatientAndEntityWithTheAccessContext()
    {
        using var host = new AuditHost(_database);
        var (a, b) = (NewPatient("A"), NewPatient("B"));
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            context.AddRange(a, b, NewNote(a), NewNote(a), NewNote(b));
            await context.SaveChangesAsync();
            Assert.Empty(context.ChangeTracker.Entries<AuditEntry>());
        }

        var records = host.Records();
        Assert.Equal(4, records.Count);
        var notesOfA = Assert.Single(records, r => r.PatientId == a.Id.ToString() && r.Entity == "Note");
        Assert.Equal(AuditAction.Create, notesOfA.Action);
        Assert.Equal(2, notesOfA.RowCount);
        Assert.Equal(2, notesOfA.RecordKeys.Split(AuditEntry.ListSeparator).Length);
        Assert.Equal("ProgressNote", notesOfA.Categories);
        Assert.Equal("PSY", notesOfA.Labels);
        Assert.Contains("Text", notesOfA.Fields.Split(AuditEntry.ListSeparator));
        Assert.All(records, r =>
        {
            Assert.Equal("u-ther-1", r.ActorId);
            Assert.Equal("Therapist", r.ActorRoles);
            Assert.Equal("TREAT", r.PurposeOfUse);
            Assert.Equal("10.1.2.3", r.ClientAddress);
            Assert.Equal("req-u-ther-1", r.RequestId);
            Assert.Equal("ehr-web", r.ClientApplication);
            Assert.Equal(AuditOutcome.Success, r.Outcome);
            Assert.Null(r.Hash);
        });
        AssertNoPhiValues(records, a, b);
    }

    [Fact]
    public async Task SaveChanges_UpdateAndDelete_RecordChangedFieldsAndKeys()
    {
        using var host = new AuditHost(_database);
        var patient = NewPatient("A");
        var note = NewNote(patient);
        using (AccessContext.Begin(AuditHost.Therapist()))
        {
            await using (var context = host.CreateContext())
            {
                context.AddRange(patient, note);
                await context.SaveChangesAsync();
            }

            await using (var context = host.CreateContext())
            {
                var tracked = await context.Notes.SingleAsync();
                tracked.Text = "revised";
                tracked.Title = "Session 2";
                await context.SaveChangesAsync();
                context.Remove(await context.Patients.SingleAsync());
                await context.SaveChangesAsync();
            }
        }

        var records = host.Records();
        var update = Assert.Single(records, r => r.Action == AuditAction.Update);
        Assert.Equal(["Text", "Title"], update.Fields.Split(AuditEntry.ListSeparator));
        Assert.Equal(note.Id.ToString(), update.RecordKeys);
        var deletes = records.Where(r => r.Action == AuditAction.Delete).ToList();
        Assert.Equal(["Note", "Patient"], deletes.Select(r => r.Entity).Order());
        Assert.All(deletes, r => Assert.Equal(patient.Id.ToString(), r.PatientId));
    }

    [Fact]
    public async Task SaveChanges_WithoutAnAccessContext_FailsAndWritesNothing()
    {
        using var host = new AuditHost(_database);
        await using var context = host.CreateContext();
        context.Add(NewPatient("A"));
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => context.SaveChangesAsync());
        Assert.Contains("AccessContext.Begin", failure.Message, StringComparison.Ordinal);
        Assert.Empty(host.Records());
        Assert.Empty(_database.ReadColumn("Patients", "Ssn"));
    }

    [Fact]
    public async Task SaveChanges_WhenTheAuditTableRejectsTheRow_RollsBackTheDataToo()
    {
        using var host = new AuditHost(_database);
        _database.Execute("DROP TABLE \"hipaa_audit\"");
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            context.Add(NewPatient("A"));
            await Assert.ThrowsAsync<DbUpdateException>(() => context.SaveChangesAsync());
        }

        Assert.Empty(_database.ReadColumn("Patients", "Ssn"));
    }

    [Fact]
    public async Task Read_EntitiesIncludeAndNoTracking_RecordOneReadPerPatientAndEntityBeforeReturning()
    {
        using var host = new AuditHost(_database);
        var (a, b) = (NewPatient("A"), NewPatient("B"));
        using (AccessContext.Begin(AuditHost.Therapist()))
        {
            await using (var context = host.CreateContext())
            {
                context.AddRange(a, b, NewNote(a), NewNote(a), NewNote(b));
                await context.SaveChangesAsync();
            }

            var before = host.Records().Count;
            await using (var context = host.CreateContext())
            {
                var notes = await context.Notes.AsNoTracking().ToListAsync();
                Assert.Equal(3, notes.Count);
                var reads = host.Records().Skip(before).ToList();
                Assert.Equal(2, reads.Count);
                Assert.All(reads, r => Assert.Equal((AuditAction.Read, "Note", "ProgressNote"), (r.Action, r.Entity, r.Categories)));
                Assert.Equal(new[] { a.Id.ToString(), b.Id.ToString() }.Order(), reads.Select(r => r.PatientId!).Order());
                Assert.All(reads, r => Assert.NotNull(r.QueryFingerprint));

                before = host.Records().Count;
                var withNotes = await context.Patients.Include(p => p.Notes).SingleAsync(p => p.Id == a.Id);
                Assert.Equal(2, withNotes.Notes.Count);
                reads = host.Records().Skip(before).ToList();
                Assert.Equal(["Note", "Patient"], reads.Select(r => r.Entity).Order());
                Assert.All(reads, r => Assert.Equal(a.Id.ToString(), r.PatientId));
            }
        }
    }

    [Theory]
    [InlineData(ReadAuditCommit.PerPatient, 3)]
    [InlineData(ReadAuditCommit.PerQuery, 1)]
    public async Task Read_OfThreePatients_IsRecordedPerPatientInOneCommitPerPatientOrOnePerQuery(ReadAuditCommit commit, int expectedCommits)
    {
        using var host = new AuditHost(_database, o => o.ReadAuditCommit = commit);
        var patients = new[] { NewPatient("A"), NewPatient("B"), NewPatient("C") };
        using (AccessContext.Begin(AuditHost.Therapist()))
        {
            await using (var context = host.CreateContext())
            {
                context.AddRange(patients);
                await context.SaveChangesAsync();
            }

            var before = host.Records().Count;
            var commitsBefore = host.Runtime.Writer.Transactions;
            await using (var context = host.CreateContext())
            {
                Assert.Equal(3, (await context.Patients.AsNoTracking().ToListAsync()).Count);
            }

            var reads = host.Records().Skip(before).ToList();
            Assert.Equal(patients.Select(p => p.Id.ToString()).Order(), reads.Select(r => r.PatientId!).Order());
            Assert.All(reads, r => Assert.Equal((AuditAction.Read, "Patient"), (r.Action, r.Entity)));
            Assert.Equal(expectedCommits, host.Runtime.Writer.Transactions - commitsBefore);
        }
    }

    [Theory]
    [InlineData(ReadAuditCommit.PerPatient)]
    [InlineData(ReadAuditCommit.PerQuery)]
    public async Task Read_StreamedWithForeach_CommitsTheFirstRecordBeforeTheFirstEntityOnlyPerPatient(ReadAuditCommit commit)
    {
        using var host = new AuditHost(_database, o => o.ReadAuditCommit = commit);
        using (AccessContext.Begin(AuditHost.Therapist()))
        {
            await using (var context = host.CreateContext())
            {
                context.AddRange(NewPatient("A"), NewPatient("B"));
                await context.SaveChangesAsync();
            }

            var before = host.Records().Count;
            var storedWhenFirstEntityArrived = -1;
            await using (var context = host.CreateContext())
            {
                await foreach (var patient in context.Patients.AsNoTracking().AsAsyncEnumerable())
                {
                    if (storedWhenFirstEntityArrived < 0)
                    {
                        storedWhenFirstEntityArrived = host.Records().Count - before;
                    }
                }
            }

            // PerPatient: the record of the first patient is durable before that patient's entity is handed out.
            // PerQuery: nothing is committed until the reader closes — the documented trade-off of that option.
            Assert.Equal(commit == ReadAuditCommit.PerPatient ? 1 : 0, storedWhenFirstEntityArrived);
            Assert.Equal(2, host.Records().Count - before);
        }
    }

    [Fact]
    public async Task Read_PerQueryCommit_WhenTheAuditStoreIsDown_ToListFailsClosed()
    {
        using (var setup = new AuditHost(_database))
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = setup.CreateContext())
        {
            context.AddRange(NewPatient("A"), NewPatient("B"));
            await context.SaveChangesAsync();
        }

        var unreachable = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "audit.db");
        using var host = new AuditHost(_database, o => o.ReadAuditCommit = ReadAuditCommit.PerQuery, o => o.UseSqlite($"Data Source={unreachable};Mode=ReadWrite"));
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            List<Patient>? returned = null;
            await Assert.ThrowsAsync<AuditUnavailableException>(async () => returned = await context.Patients.AsNoTracking().ToListAsync());
            Assert.Null(returned);
        }
    }

    [Fact]
    public async Task Read_ScalarProjectionOfAPhiTable_IsRecordedAgainstThePatientOfEachValue()
    {
        using var host = new AuditHost(_database);
        var patient = NewPatient("A");
        using (AccessContext.Begin(AuditHost.Therapist()))
        {
            await using (var context = host.CreateContext())
            {
                context.AddRange(patient, NewNote(patient), NewNote(patient));
                await context.SaveChangesAsync();
            }

            var before = host.Records().Count;
            await using (var context = host.CreateContext())
            {
                var titles = await context.Notes.Select(n => n.Title).ToListAsync();
                Assert.Equal(2, titles.Count);
            }

            // Attributed from the query (ProjectionAttributionInterceptor), not left unattributed: the values belong to A.
            var read = Assert.Single(host.Records().Skip(before));
            Assert.Equal(patient.Id.ToString(), read.PatientId);
            Assert.Equal((AuditAction.Read, "Note"), (read.Action, read.Entity));
            Assert.Equal(64, read.QueryFingerprint!.Length);
        }
    }

    [Fact]
    public async Task Read_RepeatedAndDifferentQueries_EachRecordCarriesItsOwnCommandsFingerprint()
    {
        using var host = new AuditHost(_database);
        using (AccessContext.Begin(AuditHost.Therapist()))
        {
            await using (var context = host.CreateContext())
            {
                var patient = NewPatient("A");
                context.AddRange(patient, NewNote(patient));
                await context.SaveChangesAsync();
            }

            var before = host.Records().Count;
            for (var i = 0; i < 2; i++)
            {
                await using var context = host.CreateContext();
                Assert.Single(await context.Notes.AsNoTracking().ToListAsync());
            }

            await using (var context = host.CreateContext())
            {
                Assert.Single(await context.Notes.AsNoTracking().OrderBy(n => n.Title).ToListAsync());
            }

            // The fingerprint of a command text is computed once and reused (AuditRuntime.DescribeCommand): the same query
            // keeps its fingerprint, another query gets its own.
            var reads = host.Records().Skip(before).ToList();
            Assert.Equal(3, reads.Count);
            Assert.All(reads, r => Assert.Equal(64, r.QueryFingerprint!.Length));
            Assert.Equal(reads[0].QueryFingerprint, reads[1].QueryFingerprint);
            Assert.NotEqual(reads[0].QueryFingerprint, reads[2].QueryFingerprint);
        }
    }

    [Fact]
    public async Task Read_RowsResolvedToEntitiesAlreadyTracked_AreCoveredByTheirFirstReadForTheSameAccessContext()
    {
        using var host = new AuditHost(_database);
        var (a, b) = (NewPatient("A"), NewPatient("B"));
        using (AccessContext.Begin(AuditHost.Therapist()))
        {
            await using (var context = host.CreateContext())
            {
                context.AddRange(a, b);
                await context.SaveChangesAsync();
            }

            await using (var context = host.CreateContext())
            {
                var first = host.Records().Count;
                _ = await context.Patients.SingleAsync(p => p.Id == a.Id);
                var before = host.Records().Count;
                var all = await context.Patients.ToListAsync();
                Assert.Equal(2, all.Count);

                // A was recorded when this context first read it, for this same access context (one actor per context);
                // the second query materializes only B, and records only B.
                var firstRead = Assert.Single(host.Records().Skip(first).Take(before - first));
                Assert.Equal((a.Id.ToString(), "u-ther-1"), (firstRead.PatientId, firstRead.ActorId));
                var reads = host.Records().Skip(before).ToList();
                Assert.Equal(b.Id.ToString(), Assert.Single(reads).PatientId);
            }
        }
    }

    [Fact]
    public async Task Read_WithoutAnAccessContext_Fails()
    {
        using var host = new AuditHost(_database);
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            context.Add(NewPatient("A"));
            await context.SaveChangesAsync();
        }

        await using var reader = host.CreateContext();
        await Assert.ThrowsAsync<InvalidOperationException>(() => reader.Patients.ToListAsync());
    }

    [Fact]
    public async Task Read_WhenTheAuditStoreIsDown_FailsClosedUnlessTheDangerousOptionIsOn()
    {
        using (var setup = new AuditHost(_database))
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = setup.CreateContext())
        {
            context.Add(NewPatient("A"));
            await context.SaveChangesAsync();
        }

        var unreachable = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "audit.db");
        void Down(DbContextOptionsBuilder o) => o.UseSqlite($"Data Source={unreachable};Mode=ReadWrite");
        using (var host = new AuditHost(_database, auditStore: Down))
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            var failure = await Assert.ThrowsAsync<AuditUnavailableException>(() => context.Patients.ToListAsync());
            Assert.Contains("refused", failure.Message, StringComparison.Ordinal);
        }

        using (var host = new AuditHost(_database, o => o.DangerouslyReturnUnauditedReadsWhenAuditStoreIsDown = true, Down))
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            Assert.Single(await context.Patients.ToListAsync());
        }
    }

    [Fact]
    public async Task ExecuteUpdateAndExecuteDelete_RecordPerPatientRowsInTheSameTransaction()
    {
        using var host = new AuditHost(_database);
        var (a, b) = (NewPatient("A"), NewPatient("B"));
        using (AccessContext.Begin(AuditHost.Therapist()))
        {
            await using (var context = host.CreateContext())
            {
                context.AddRange(a, b, NewNote(a), NewNote(a), NewNote(b));
                await context.SaveChangesAsync();
            }

            var before = host.Records().Count;
            await using (var context = host.CreateContext())
            {
                Assert.Equal(3, await context.Notes.ExecuteUpdateAsync(s => s.SetProperty(n => n.Title, "bulk")));
                Assert.Equal(2, context.Notes.Where(n => n.PatientId == a.Id).ExecuteDelete());
                Assert.Equal(1, await context.Database.ExecuteSqlRawAsync("UPDATE \"Notes\" SET \"Title\" = 'raw'"));
            }

            var records = host.Records().Skip(before).Select(r => (r.Action, r.PatientId, r.RowCount)).ToList();
            Assert.Equal(
                [
                    (AuditAction.Update, a.Id.ToString(), 2), (AuditAction.Update, b.Id.ToString(), 1),  // ExecuteUpdate
                    (AuditAction.Delete, a.Id.ToString(), 2),                                              // ExecuteDelete
                    (AuditAction.Update, b.Id.ToString(), 1),                                              // raw SQL
                ],
                [.. records.Take(2).OrderBy(r => r.RowCount == 1), .. records.Skip(2)]);
        }
    }

    /// <summary>
    /// A bulk statement over thousands of patients writes one record per patient: 3,000 records of 23 values are more
    /// parameters than one SQLite (32,766) or PostgreSQL (65,535) statement takes, so they are inserted in chunks — all in
    /// the statement's transaction.
    /// </summary>
    [Fact]
    public async Task ExecuteUpdate_OverThousandsOfPatients_RecordsEveryPatient()
    {
        const int Patients = 3_000;
        using var host = new AuditHost(_database);
        using (AccessContext.Begin(AuditHost.As("u-psy-1", Hipaa.Policy.WellKnownRoles.Psychiatrist, Hipaa.Policy.PurposeOfUse.Treatment)))
        {
            var patientIds = Enumerable.Range(0, Patients).Select(_ => Guid.NewGuid()).ToList();
            await using (var context = host.CreateContext())
            {
                context.AddRange(patientIds.Select(id => new Prescription { Id = Guid.NewGuid(), PatientId = id, Drug = "sertraline" }));
                await context.SaveChangesAsync();
            }

            var before = host.Records().Count;
            await using (var context = host.CreateContext())
            {
                Assert.Equal(Patients, await context.Prescriptions.ExecuteUpdateAsync(s => s.SetProperty(p => p.Drug, "escitalopram")));
            }

            var records = host.Records().Skip(before).ToList();
            Assert.Equal(Patients, records.Count);
            Assert.All(records, r => Assert.Equal((AuditAction.Update, 1), (r.Action, r.RowCount)));
            Assert.Equal(patientIds.Select(id => id.ToString()).Order(), records.Select(r => r.PatientId!).Order());
        }
    }

    [Fact]
    public async Task AuditRows_ChangedOrDeletedThroughTheContext_AreRefused()
    {
        using var host = new AuditHost(_database);
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            context.Add(NewPatient("A"));
            await context.SaveChangesAsync();
            var row = await context.Set<AuditEntry>().FirstAsync();
            row.ActorId = "someone-else";
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => context.SaveChangesAsync());
            Assert.Contains("append-only", failure.Message, StringComparison.Ordinal);
        }

        Assert.Equal("u-ther-1", Assert.Single(host.Records()).ActorId);
    }

    [Fact]
    public async Task AccessContext_ParallelRequestsOfDifferentUsers_NeverLeakIntoEachOthersRecords()
    {
        using var host = new AuditHost(_database);
        var patients = Enumerable.Range(0, 12).Select(i => NewPatient("P" + i)).ToList();
        using (AccessContext.Begin(AccessContext.ForSystem("seed", PurposeOfUse.Operations)))
        await using (var context = host.CreateContext())
        {
            context.AddRange(patients);
            await context.SaveChangesAsync();
        }

        Assert.All(host.Records(), r => Assert.Equal("system:seed", r.ActorId));
        var before = host.Records().Count;
        await Task.WhenAll(patients.Select(async (patient, i) =>
        {
            using var scope = AccessContext.Begin(AuditHost.Therapist("user-" + i));
            await Task.Yield();
            await using var context = host.CreateContext();
            var read = await context.Patients.AsNoTracking().SingleAsync(p => p.Id == patient.Id);
            Assert.Equal("user-" + i, AccessContext.Current!.Actor.Id);
            Assert.Equal(patient.Mrn, read.Mrn);
        }));

        Assert.Null(AccessContext.Current);
        var reads = host.Records().Skip(before).ToList();
        Assert.Equal(patients.Count, reads.Count);
        foreach (var (patient, i) in patients.Select((p, i) => (p, i)))
        {
            Assert.Equal("user-" + i, Assert.Single(reads, r => r.PatientId == patient.Id.ToString()).ActorId);
        }
    }

    [Fact]
    public async Task Read_InsideTheCallersWriteTransaction_IsRecordedAndSurvivesARollback()
    {
        using var host = new AuditHost(_database);
        var patient = NewPatient("A");
        using (AccessContext.Begin(AuditHost.Therapist()))
        {
            await using (var context = host.CreateContext())
            await using (var transaction = await context.Database.BeginTransactionAsync())
            {
                context.Add(patient);
                await context.SaveChangesAsync();
                var inside = await context.Patients.AsNoTracking().SingleAsync(p => p.Id == patient.Id);
                Assert.Equal(patient.Ssn, inside.Ssn);
                await transaction.RollbackAsync();
            }

            await using (var context = host.CreateContext())
            {
                Assert.Empty(await context.Patients.ToListAsync());
            }
        }

        // The create rolled back with the data; the read happened and stays recorded.
        var records = host.Records();
        Assert.DoesNotContain(records, r => r.Action == AuditAction.Create);
        var read = Assert.Single(records, r => r.Action == AuditAction.Read && r.PatientId == patient.Id.ToString());
        Assert.Equal("u-ther-1", read.ActorId);
    }

    private static Patient NewPatient(string name) => new()
    {
        Id = Guid.NewGuid(),
        DisplayName = name,
        Mrn = "MRN-" + name + "-" + Guid.NewGuid().ToString("N")[..6],
        Ssn = "555-00-" + name.PadLeft(4, '0'),
    };

    private static Note NewNote(Patient patient) => new()
    {
        Id = Guid.NewGuid(),
        PatientId = patient.Id,
        Title = "Session",
        Text = "Discussed sleep hygiene with " + patient.DisplayName,
        Kind = NoteKind.Progress,
        WrittenAt = new DateTime(2026, 3, 2, 15, 0, 0, DateTimeKind.Utc),
        SignedAt = new DateTimeOffset(2026, 3, 2, 15, 0, 0, TimeSpan.Zero),
    };

    private static void AssertNoPhiValues(List<AuditEntry> records, params Patient[] patients)
    {
        var text = string.Join("|", records.Select(r => string.Join("|", r.Fields, r.RecordKeys, r.Entity, r.Description, r.Decision)));
        foreach (var patient in patients)
        {
            Assert.DoesNotContain(patient.Ssn!, text, StringComparison.Ordinal);
            Assert.DoesNotContain(patient.Mrn!, text, StringComparison.Ordinal);
            Assert.DoesNotContain("Discussed", text, StringComparison.Ordinal);
        }

        Assert.True(Encoding.UTF8.GetByteCount(text) > 0);
    }
}

public sealed class SqliteAuditCaptureTests() : AuditCaptureTests("sqlite");

public sealed class PostgresAuditCaptureTests() : AuditCaptureTests("postgres");
