using Hipaa.Auditing;
using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Encryption;

/// <summary>
/// A crypto-shredded row is never returned by a blind-index search (red team 2, hole 2, which was in
/// Reading/RedTeam2/KnownHoles.cs.txt): a shredded value equals no searched value, so a search that finds such a row
/// through an index — moved there by someone with write access to the database, or left by a shred that could not clear
/// it — is refused; and <c>ShredAsync(scope, context)</c> clears the shredded values' indexes, so that no legitimate
/// search finds them. SQLite and PostgreSQL.
/// </summary>
public abstract class ShreddedRowBlindIndexTests : IDisposable
{
    private readonly TestDatabase _database;
    private readonly CountingKeyEncryptionKey _kek = new("kek-bidx-shred");
    private readonly EncryptionHost _host;
    private readonly Patient _a = new() { Id = Guid.NewGuid(), DisplayName = "A", Mrn = "MRN-CANARY-A", ExternalNumber = 1001 };
    private readonly Patient _b = new() { Id = Guid.NewGuid(), DisplayName = "B", Mrn = "MRN-CANARY-B", ExternalNumber = 2002 };
    private readonly string _provider;

    protected ShreddedRowBlindIndexTests(string provider)
    {
        _provider = provider;
        _database = TestDatabase.Create(provider);
        _host = new EncryptionHost(_database, _kek);
        using var context = _host.CreateContext();
        context.AddRange(_a, _b);
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
    public async Task Search_IndexMovedOntoAShreddedRow_IsRefusedAndReturnsNoWrongPatient()
    {
        // The insider copies A's index onto the shredded B and clears A's: the database now finds B for A's MRN.
        await _host.Keys.ShredAsync(DataKeyScope.ForPatient(_b.Id));
        WriteIndex("Mrn_bidx", "B", ReadIndex("Mrn_bidx", "A"));
        WriteIndex("Mrn_bidx", "A", null);

        var mrn = _a.Mrn;
        await using var context = _host.CreateContext();
        await AssertShreddedRowRefusedAsync(() => context.Patients.Where(p => p.Mrn == mrn).Select(p => p.Id).ToListAsync());
        await AssertShreddedRowRefusedAsync(() => context.Patients.Where(p => p.Mrn == mrn || p.Mrn == "MRN-CANARY-X").Select(p => p.DisplayName).ToListAsync());
        await AssertShreddedRowRefusedAsync(() => context.Patients.Where(p => p.Mrn == mrn).Select(p => new { p.Id, p.DisplayName }).SingleOrDefaultAsync());
        await AssertShreddedRowRefusedAsync(() => context.Notes.Where(n => n.Patient!.Mrn == mrn).Select(n => n.Title).ToListAsync());
    }

    [Fact]
    public async Task Search_IndexMovedOntoARowShreddedWithTheContext_IsRefusedToo()
    {
        await using (var shred = _host.CreateContext())
        {
            await _host.Keys.ShredAsync(DataKeyScope.ForPatient(_b.Id), shred);
        }

        WriteIndex("ExternalNumber_bidx", "B", ReadIndex("ExternalNumber_bidx", "A")); // over the cleared index
        var number = _a.ExternalNumber;
        await using var context = _host.CreateContext();
        await AssertShreddedRowRefusedAsync(() => context.Patients.Where(p => p.ExternalNumber == number).Select(p => p.DisplayName).ToListAsync());

        // An insider who clears the index of a shredded value (NULL) makes it pass for "no value": refused as well.
        WriteIndex("Mrn_bidx", "B", null);
        await AssertShreddedRowRefusedAsync(() => context.Patients.Where(p => p.Mrn == null).Select(p => p.DisplayName).ToListAsync());
    }

    [Fact]
    public async Task ShredAsyncWithTheContext_ClearsEveryIndexOfTheShreddedValuesAndNoneOfAnotherPatient()
    {
        var (aMrn, aNumber) = (ReadIndex("Mrn_bidx", "A"), ReadIndex("ExternalNumber_bidx", "A"));
        await using (var shred = _host.CreateContext())
        {
            Assert.Equal(1, await _host.Keys.ShredAsync(DataKeyScope.ForPatient(_b.Id), shred));
        }

        // Not NULL (which a search for a missing value would find) but the empty value, which equals no index.
        Assert.Equal(Array.Empty<byte>(), ReadIndex("Mrn_bidx", "B"));
        Assert.Equal(Array.Empty<byte>(), ReadIndex("ExternalNumber_bidx", "B"));
        Assert.Equal(aMrn, ReadIndex("Mrn_bidx", "A"));
        Assert.Equal(aNumber, ReadIndex("ExternalNumber_bidx", "A"));
        var (mrn, number) = (_b.Mrn, _b.ExternalNumber);
        await using (var context = _host.CreateContext())
        {
            Assert.Empty(await context.Patients.Where(p => p.Mrn == mrn).Select(p => p.Id).ToListAsync());
            Assert.Empty(await context.Patients.Where(p => p.ExternalNumber == number).Select(p => p.Id).ToListAsync());
            Assert.Empty(await context.Patients.Where(p => p.Mrn == null).Select(p => p.Id).ToListAsync());
            Assert.Equal(["A"], await context.Patients.Where(p => p.Mrn == _a.Mrn).Select(p => p.DisplayName).ToListAsync());
        }

        // Idempotent: the scope is shredded already, and nothing is left to clear.
        await using var again = _host.CreateContext();
        Assert.Equal(0, await _host.Keys.ShredAsync(DataKeyScope.ForPatient(_b.Id), again));
        Assert.Equal(Array.Empty<byte>(), ReadIndex("Mrn_bidx", "B"));
    }

    [Fact]
    public async Task ShredAsyncWithoutTheContext_SearchForTheShreddedValueIsRefusedUntilAShredWithTheContextClearsIt()
    {
        await _host.Keys.ShredAsync(DataKeyScope.ForPatient(_b.Id));
        var mrn = _b.Mrn;
        await using (var context = _host.CreateContext())
        {
            var refused = await AssertShreddedRowRefusedAsync(() => context.Patients.Where(p => p.Mrn == mrn).Select(p => p.Id).ToListAsync());
            Assert.Contains("ShredAsync(scope, context)", refused.Message, StringComparison.Ordinal);
        }

        await using (var shred = _host.CreateContext())
        {
            Assert.Equal(0, await _host.Keys.ShredAsync(DataKeyScope.ForPatient(_b.Id), shred)); // destroys nothing more, clears what was left
        }

        await using var after = _host.CreateContext();
        Assert.Empty(await after.Patients.Where(p => p.Mrn == mrn).Select(p => p.Id).ToListAsync());
    }

    [Fact]
    public async Task ShredAsyncWithTheContext_WithAuditing_NeedsAnAccessContextAndIsAuditedAsAnUpdateOfThePatient()
    {
        using var database = TestDatabase.Create(_provider); // with the audit tables
        using var audited = new AuditHost(database);
        var patient = new Patient { Id = Guid.NewGuid(), DisplayName = "D", Mrn = "MRN-CANARY-D" };
        using (AccessContext.Begin(AccessContext.ForSystem("seed", PurposeOfUse.Operations)))
        await using (var seed = audited.CreateContext())
        {
            seed.Add(patient);
            await seed.SaveChangesAsync();
        }

        await using (var context = audited.CreateContext())
        {
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => audited.Keys.ShredAsync(DataKeyScope.ForPatient(patient.Id), context));
            Assert.Contains("access context", refused.Message, StringComparison.Ordinal);
        }

        using (AccessContext.Begin(AccessContext.ForSystem("seed", PurposeOfUse.Operations)))
        await using (var read = audited.CreateContext())
        {
            Assert.Equal("D", (await read.Patients.AsNoTracking().SingleAsync(p => p.Id == patient.Id)).DisplayName); // nothing was shredded
        }

        using (AccessContext.Begin(AccessContext.ForKeyMaintenance("erasure")))
        await using (var context = audited.CreateContext())
        {
            Assert.Equal(1, await audited.Keys.ShredAsync(DataKeyScope.ForPatient(patient.Id), context));
        }

        Assert.Contains(audited.Records(), r => r.Action == AuditAction.Update && r.PatientId == patient.Id.ToString() && r.ActorId == "system:erasure");
    }

    [Fact]
    public async Task ShredAsyncWithTheContext_UnderPolicyEnforcement_ClearsTheIndexesAsKeyMaintenance()
    {
        // The sample's erasure step: its index-clearing bulk update is decided as key maintenance, not as an ordinary
        // update of the patient's demographics (which no role may make for every category, and which bulk-write
        // enforcement refused, leaving the shred with its indexes uncleared).
        using var database = TestDatabase.Create(_provider);
        var patient = new Patient { Id = Guid.NewGuid(), DisplayName = "E", Mrn = "MRN-CANARY-E" };
        using (var seeding = new AuditHost(database))
        using (AccessContext.Begin(AccessContext.ForSystem("seed", PurposeOfUse.Operations)))
        await using (var seed = seeding.CreateContext())
        {
            seed.Add(patient);
            await seed.SaveChangesAsync();
        }

        using var enforced = new AuditHost(database, enforcement: _ => { });

        using (AccessContext.Begin(AccessContext.ForKeyMaintenance("erasure")))
        await using (var context = enforced.CreateContext())
        {
            Assert.Equal(1, await enforced.Keys.ShredAsync(DataKeyScope.ForPatient(patient.Id), context));
        }

        Assert.Contains(enforced.Records(), r => r.Action == AuditAction.Update && r.PatientId == patient.Id.ToString() && r.ActorId == "system:erasure" && r.Outcome == AuditOutcome.Success);
    }

    private static async Task<FieldDecryptionException> AssertShreddedRowRefusedAsync<T>(Func<Task<T>> query)
    {
        var failure = await Assert.ThrowsAsync<FieldDecryptionException>(() => query());
        Assert.Equal(FieldDecryptionFailure.IndexMismatch, failure.Failure);
        Assert.Contains("crypto-shredded", failure.Message, StringComparison.Ordinal);
        CapturingLoggerProvider.AssertNoCanary(CapturingLoggerProvider.TextsOf(failure), "MRN-CANARY", "1001", "2002");
        return failure;
    }

    private byte[]? ReadIndex(string column, string name)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT \"{column}\" FROM \"Patients\" WHERE \"DisplayName\" = @name";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@name";
        parameter.Value = name;
        command.Parameters.Add(parameter);
        return command.ExecuteScalar() as byte[];
    }

    private void WriteIndex(string column, string name, byte[]? value) =>
        Assert.Equal(1, _database.Execute($"UPDATE \"Patients\" SET \"{column}\" = @value WHERE \"DisplayName\" = @name", ("@value", value), ("@name", name)));
}

public sealed class SqliteShreddedRowBlindIndexTests() : ShreddedRowBlindIndexTests("sqlite");

public sealed class PostgresShreddedRowBlindIndexTests() : ShreddedRowBlindIndexTests("postgres");
