using System.Data.Common;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Encryption;

/// <summary>
/// A blind index is not bound to its row (it must equal for equal values), so someone with write access to the database
/// can move it: swap two rows' <c>Mrn_bidx</c>, copy one, or clear it (issue 9, finding 5). Whatever they do, a search
/// returns no wrong row and a bulk statement acts on none: every row a search returns is checked against its decrypted
/// value, and bulk statements filtered by a blind index are refused. SQLite and PostgreSQL.
/// </summary>
public abstract class BlindIndexTamperingTests : IDisposable
{
    private readonly TestDatabase _database;
    private readonly CountingKeyEncryptionKey _kek = new("kek-bidx");
    private readonly EncryptionHost _host;
    private readonly Patient _a = new() { Id = Guid.NewGuid(), DisplayName = "A", Mrn = "MRN-CANARY-A", ExternalNumber = 73_918_264 };
    private readonly Patient _b = new() { Id = Guid.NewGuid(), DisplayName = "B", Mrn = "MRN-CANARY-B", ExternalNumber = 84_027_375 };
    private readonly Patient _c = new() { Id = Guid.NewGuid(), DisplayName = "C", Mrn = null };

    private readonly string _provider;

    protected BlindIndexTamperingTests(string provider)
    {
        _provider = provider;
        _database = TestDatabase.Create(provider);
        _host = new EncryptionHost(_database, _kek);
        using var context = _host.CreateContext();
        context.AddRange(_a, _b, _c);
        context.Add(new Note { Id = Guid.NewGuid(), PatientId = _a.Id, Title = "of A", Text = "A's note" });
        context.Add(new Note { Id = Guid.NewGuid(), PatientId = _b.Id, Title = "of B", Text = "B's note" });
        context.SaveChanges();
    }

    public void Dispose()
    {
        _host.Dispose();
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task SwappedIndexes_EverySearchShape_ReturnsNoWrongPatient()
    {
        SwapIndexes("Mrn_bidx", "A", "B");
        var mrn = _b.Mrn;
        await using var context = _host.CreateContext();

        await AssertTamperingAsync(() => context.Patients.Where(p => p.Mrn == mrn).ToListAsync());
        await AssertTamperingAsync(() => context.Patients.AsNoTracking().SingleAsync(p => p.Mrn == mrn));
        await AssertTamperingAsync(() => context.Patients.FirstOrDefaultAsync(p => p.Mrn == mrn));
        await AssertTamperingAsync(() => context.Patients.Where(p => p.Mrn == mrn).Select(p => p.Id).ToListAsync());
        await AssertTamperingAsync(() => context.Patients.Where(p => p.Mrn == mrn).OrderBy(p => p.DisplayName).Select(p => new { p.DisplayName }).SingleAsync());
        await AssertTamperingAsync(() => context.Patients.Include(p => p.Notes).Where(p => p.Mrn == mrn).ToListAsync());
        await AssertTamperingAsync(() => context.Notes.Where(n => n.Patient!.Mrn == mrn).Select(n => n.Text).ToListAsync());
        await AssertTamperingAsync(() => context.Patients.Where(p => p.Mrn != _a.Mrn).ToListAsync()); // row A now "is not" MRN-A
        await AssertTamperingAsync(() => context.Patients.Where(p => p.Mrn == mrn || p.Mrn == "MRN-CANARY-X").ToListAsync());
    }

    [Fact]
    public async Task CopiedOrClearedIndex_SearchReturnsNoWrongPatient()
    {
        CopyIndex("ExternalNumber_bidx", from: "B", to: "C"); // C has no number: it now claims B's
        var number = _b.ExternalNumber;
        await using (var context = _host.CreateContext())
        {
            await AssertTamperingAsync(() => context.Patients.Where(p => p.ExternalNumber == number).Select(p => p.DisplayName).ToListAsync());
        }

        SetIndexNull("Mrn_bidx", "A"); // A's MRN is there, its index is not: A would pass for a patient without an MRN
        await using (var context = _host.CreateContext())
        {
            await AssertTamperingAsync(() => context.Patients.Where(p => p.Mrn == null).ToListAsync());
        }
    }

    [Fact]
    public async Task SwappedIndexes_ExecuteDeleteAndExecuteUpdateByIndex_AreRefusedAndChangeNothing()
    {
        SwapIndexes("Mrn_bidx", "A", "B");
        var mrn = _b.Mrn;
        await using (var context = _host.CreateContext())
        {
            var delete = await Assert.ThrowsAsync<NotSupportedException>(() => context.Patients.Where(p => p.Mrn == mrn).ExecuteDeleteAsync());
            Assert.Contains("Patient.Mrn", delete.Message, StringComparison.Ordinal);
            Assert.Contains("ExecuteDelete", delete.Message, StringComparison.Ordinal);
            Assert.Throws<NotSupportedException>(() => context.Notes.Where(n => n.Patient!.Mrn == mrn).ExecuteDelete());
            await Assert.ThrowsAsync<NotSupportedException>(() => context.Patients.Where(p => p.Mrn == mrn).ExecuteUpdateAsync(s => s.SetProperty(p => p.DisplayName, "changed")));
        }

        await using (var context = _host.CreateContext())
        {
            Assert.Equal(["A", "B", "C"], (await context.Patients.AsNoTracking().ToListAsync()).Select(p => p.DisplayName).Order());
            Assert.Equal(2, await context.Notes.CountAsync());
        }
    }

    [Fact]
    public async Task DeleteByKeysFromAVerifiedSearch_TheDocumentedAlternative_DeletesTheRightRowOrNone()
    {
        var mrn = _b.Mrn;
        await using (var context = _host.CreateContext())
        {
            var ids = await context.Patients.Where(p => p.Mrn == mrn).Select(p => p.Id).ToListAsync();
            Assert.Equal(1, await context.Notes.Where(n => ids.Contains(n.PatientId)).ExecuteDeleteAsync());
            Assert.Equal(1, await context.Patients.Where(p => ids.Contains(p.Id)).ExecuteDeleteAsync());
        }

        SwapIndexes("Mrn_bidx", "A", "C");
        await using (var context = _host.CreateContext())
        {
            var a = _a.Mrn;
            await AssertTamperingAsync(() => context.Patients.Where(p => p.Mrn == a).Select(p => p.Id).ToListAsync());
            Assert.Equal(["A", "C"], (await context.Patients.AsNoTracking().ToListAsync()).Select(p => p.DisplayName).Order());
        }
    }

    [Fact]
    public async Task UntamperedIndexes_EveryVerifiedShape_ReturnsTheRightRows()
    {
        var mrn = _b.Mrn;
        var other = "MRN-CANARY-X";
        await using var context = _host.CreateContext();
        Assert.Equal(_b.Id, (await context.Patients.SingleAsync(p => p.Mrn == mrn)).Id);
        Assert.Equal([_b.Id], await context.Patients.Where(p => p.Mrn == mrn).Select(p => p.Id).ToListAsync());
        Assert.Equal("B's note", (await context.Notes.Where(n => n.Patient!.Mrn == mrn).Select(n => n.Text).SingleAsync()));
        Assert.Equal(["A", "C"], (await context.Patients.Where(p => p.Mrn != mrn).ToListAsync()).Select(p => p.DisplayName).Order());
        Assert.Equal("C", (await context.Patients.SingleAsync(p => p.Mrn == null)).DisplayName);
        Assert.Equal(["A", "B"], (await context.Patients.Where(p => p.Mrn == mrn || p.Mrn == _a.Mrn).Select(p => p.DisplayName).ToListAsync()).Order());
        Assert.Equal("B", (await context.Patients.Where(p => p.Mrn == mrn && p.DisplayName == "B" && !(p.Mrn == other)).SingleAsync()).DisplayName);
        Assert.Single(Assert.Single(await context.Patients.Include(p => p.Notes).Where(p => p.Mrn == mrn).ToListAsync()).Notes);
        Assert.Single(await context.Patients.Where(p => p.Mrn == mrn).OrderBy(p => p.DisplayName).Skip(0).Take(5).AsNoTracking().ToListAsync());
        Assert.Equal(1, await context.Patients.CountAsync(p => p.Mrn == mrn));
        Assert.True(await context.Patients.AnyAsync(p => p.Mrn == mrn));
    }

    [Fact]
    public async Task SearchShapesWhoseRowsCannotBeChecked_AreRefusedSayingWhatToDoInstead()
    {
        var mrn = _b.Mrn;
        await using var context = _host.CreateContext();
        var subquery = await Assert.ThrowsAsync<NotSupportedException>(() =>
            context.Notes.Where(n => context.Patients.Any(p => p.Id == n.PatientId && p.Mrn == mrn)).ToListAsync());
        Assert.Contains("Patient.Mrn", subquery.Message, StringComparison.Ordinal);
        Assert.Contains("query's own Where", subquery.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<NotSupportedException>(() => context.Patients.Where(p => p.Mrn == mrn || p.DisplayName == "A").ToListAsync());
        await Assert.ThrowsAsync<NotSupportedException>(() => context.Patients.Where(p => p.Mrn == mrn).MaxAsync(p => p.DisplayName));
        await Assert.ThrowsAsync<NotSupportedException>(() =>
            (from n in context.Notes join p in context.Patients.Where(p => p.Mrn == mrn) on n.PatientId equals p.Id select n.Text).ToListAsync());
        await Assert.ThrowsAsync<NotSupportedException>(() => context.Patients.Where(p => p.Mrn == mrn).GroupBy(p => p.DisplayName).Select(g => g.Key).ToListAsync());

        // Counts and existence tests return no row: they count index matches, unchecked (docs/encryption.md).
        SwapIndexes("Mrn_bidx", "A", "B");
        Assert.Equal(1, await context.Patients.CountAsync(p => p.Mrn == mrn));
        Assert.True(await context.Patients.AnyAsync(p => p.Mrn == mrn));
    }

    [Fact]
    public async Task ShreddedRow_SearchedForByItsOwnValue_IsFoundByNoSearchOnceTheShredClearedItsIndex()
    {
        var mrn = _b.Mrn;
        await using (var shred = _host.CreateContext())
        {
            await _host.Keys.ShredAsync(Hipaa.EfCore.Encryption.DataKeyScope.ForPatient(_b.Id), shred);
        }

        await using (var context = _host.CreateContext())
        {
            Assert.Empty(await context.Patients.Where(p => p.Mrn == mrn).Select(p => p.Id).ToListAsync()); // an erased value is found by nothing
            Assert.Equal(["C"], await context.Patients.Where(p => p.Mrn == null).Select(p => p.DisplayName).ToListAsync()); // nor passes for a missing one
            Assert.Equal(["B", "C"], (await context.Patients.Where(p => p.Mrn != _a.Mrn).Select(p => p.DisplayName).ToListAsync()).Order());
            var shredded = await Assert.ThrowsAsync<FieldDecryptionException>(() => context.Patients.Where(p => p.Mrn != _a.Mrn).ToListAsync());
            Assert.Equal(FieldDecryptionFailure.KeyDestroyed, shredded.Failure); // the entity's values are still refused as shredded
        }

        using var lenient = new EncryptionHost(_database, _kek, o => o.ShreddedValues = ShreddedValueHandling.ReturnNull);
        await using (var context = lenient.CreateContext())
        {
            Assert.Null(await context.Patients.SingleOrDefaultAsync(p => p.Mrn == mrn));
            Assert.Equal(["B:null", "C:null"], (await context.Patients.Where(p => p.Mrn != _a.Mrn).ToListAsync()).Select(p => p.DisplayName + ":" + (p.Mrn ?? "null")).Order());
        }
    }

    [Fact]
    public async Task WithAuditing_VerifiedSearchesAreRecordedAndTamperingIsStillRefused()
    {
        using var database = TestDatabase.Create(_provider); // with the audit tables
        using var audited = new AuditHost(database);
        var (d, e) = (Guid.NewGuid(), Guid.NewGuid());
        var mrn = "MRN-CANARY-E";
        using (Hipaa.Auditing.AccessContext.Begin(Hipaa.Auditing.AccessContext.ForSystem("seed", Hipaa.Policy.PurposeOfUse.Operations)))
        await using (var context = audited.CreateContext())
        {
            context.AddRange(
                new Patient { Id = d, DisplayName = "D", Mrn = "MRN-CANARY-D" },
                new Patient { Id = e, DisplayName = "E", Mrn = mrn },
                new Note { Id = Guid.NewGuid(), PatientId = e, Title = "of E", Text = "E's note" });
            await context.SaveChangesAsync();
        }

        using (Hipaa.Auditing.AccessContext.Begin(AuditHost.Therapist("u-ther-1", d.ToString(), e.ToString())))
        {
            await using (var context = audited.CreateContext())
            {
                Assert.Equal("E", (await context.Patients.SingleAsync(p => p.Mrn == mrn)).DisplayName);
                Assert.Equal(["E's note"], await context.Notes.Where(n => n.Patient!.Mrn == mrn).Select(n => n.Text).ToListAsync());
            }

            Assert.Contains(audited.Records(), r => r.Entity == "Note" && r.PatientId == e.ToString() && r.Action == Hipaa.Auditing.AuditAction.Read);
            SwapIndexes("Mrn_bidx", "D", "E", database);
            await using (var context = audited.CreateContext())
            {
                await AssertTamperingAsync(() => context.Patients.Where(p => p.Mrn == mrn).Select(p => new { p.Id, p.DisplayName }).ToListAsync());
                await AssertTamperingAsync(() => context.Patients.SingleAsync(p => p.Mrn == mrn));
            }
        }
    }

    private static async Task AssertTamperingAsync<T>(Func<Task<T>> query)
    {
        var failure = await Assert.ThrowsAsync<FieldDecryptionException>(() => query());
        Assert.Equal(FieldDecryptionFailure.IndexMismatch, failure.Failure);
        Assert.Equal("Patient", failure.Entity);
        CapturingLoggerProvider.AssertNoCanary(CapturingLoggerProvider.TextsOf(failure), "MRN-CANARY", "73918264", "84027375"); // numbers no stack trace contains (1001 matched "lambda_method10018" once)
    }

    private void SwapIndexes(string column, string first, string second, TestDatabase? database = null)
    {
        var (x, y) = (ReadIndex(column, first, database), ReadIndex(column, second, database));
        WriteIndex(column, first, y, database);
        WriteIndex(column, second, x, database);
    }

    private void CopyIndex(string column, string from, string to) => WriteIndex(column, to, ReadIndex(column, from));

    private void SetIndexNull(string column, string name) => WriteIndex(column, name, null);

    private byte[]? ReadIndex(string column, string name, TestDatabase? database = null)
    {
        using var connection = (database ?? _database).OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT \"{column}\" FROM \"Patients\" WHERE \"DisplayName\" = @name";
        Add(command, "@name", name);
        return command.ExecuteScalar() as byte[];
    }

    private void WriteIndex(string column, string name, byte[]? value, TestDatabase? database = null) =>
        Assert.Equal(1, (database ?? _database).Execute($"UPDATE \"Patients\" SET \"{column}\" = @value WHERE \"DisplayName\" = @name", ("@value", value), ("@name", name)));

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}

public sealed class SqliteBlindIndexTamperingTests() : BlindIndexTamperingTests("sqlite");

public sealed class PostgresBlindIndexTamperingTests() : BlindIndexTamperingTests("postgres");
