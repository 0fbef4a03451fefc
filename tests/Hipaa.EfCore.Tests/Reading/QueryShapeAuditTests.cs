using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading;

/// <summary>
/// The query shapes real applications write — anonymous types, DTOs, scalars, owned types, navigations, joins of several
/// patients, nested readers — and exactly which patients each one records, on SQLite and PostgreSQL.
/// </summary>
public abstract class QueryShapeAuditTests : IDisposable
{
    private static readonly string A = ShapesHost.A.ToString(), B = ShapesHost.B.ToString(), C = ShapesHost.C.ToString();
    private readonly TestDatabase _database;

    protected QueryShapeAuditTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Read_AnonymousProjectionThroughANavigation_RecordsEachPatientForBothEntities()
    {
        using var host = new ShapesHost(_database);
        var reads = await ReadAsync(host, db => db.Visits.Select(v => new { v.Member!.Name, v.Text }).ToListAsync(), rows => Assert.Equal(6, rows.Count));

        Assert.Equal([("Member", A), ("Member", B), ("Member", C), ("Visit", A), ("Visit", B), ("Visit", C)], Attributed(reads));
        Assert.DoesNotContain(reads, r => r.PatientId is null);
    }

    [Fact]
    public async Task Read_DtoProjection_RecordsEachPatient()
    {
        using var host = new ShapesHost(_database);
        var reads = await ReadAsync(
            host,
            db => db.Visits.Where(v => v.Minutes > 40).Select(v => new VisitRow { Patient = v.Member!.Name, Minutes = v.Minutes }).ToListAsync(),
            rows => Assert.Equal(["Ada", "Bea", "Cy"], rows.Select(r => r.Patient).Order()));

        Assert.Equal([("Member", A), ("Member", B), ("Member", C), ("Visit", A), ("Visit", B), ("Visit", C)], Attributed(reads));
        Assert.DoesNotContain(reads, r => r.PatientId is null);
    }

    [Fact]
    public async Task Read_ScalarProjection_RecordsEachPatient()
    {
        using var host = new ShapesHost(_database);
        var reads = await ReadAsync(host, db => db.Visits.Where(v => v.MemberId != ShapesHost.C).Select(v => v.Text).ToListAsync(), rows => Assert.Equal(4, rows.Count));

        Assert.Equal([("Visit", A), ("Visit", B)], Attributed(reads));
        Assert.DoesNotContain(reads, r => r.PatientId is null);
    }

    [Fact]
    public async Task Read_OwnedTypeProjections_RecordTheOwnersPatient()
    {
        using var host = new ShapesHost(_database);
        var homes = await ReadAsync(host, db => db.Members.Select(m => m.Home).ToListAsync(), rows => Assert.Equal(1, rows.Count(h => h is null)));
        Assert.Equal([("Member", A), ("Member", B), ("Member", C)], Attributed(homes));

        var streets = await ReadAsync(host, db => db.Members.OrderBy(m => m.Name).Select(m => m.Home!.Street).ToListAsync(), rows => Assert.Equal(new string?[] { "1 Elm St", "2 Oak St", null }, rows));
        Assert.Equal([("Member", A), ("Member", B), ("Member", C)], Attributed(streets));
        Assert.DoesNotContain(homes.Concat(streets), r => r.PatientId is null);
    }

    [Fact]
    public async Task Read_EntityAndANavigationsValue_OfOnePatient_RecordsOnlyThatPatient()
    {
        using var host = new ShapesHost(_database);
        var reads = await ReadAsync(host, db => db.Visits.Where(v => v.MemberId == ShapesHost.A).Select(v => new { v, v.Member!.Name }).ToListAsync(), rows => Assert.Equal(2, rows.Count));

        Assert.Equal([("Member", A), ("Visit", A)], Attributed(reads));
    }

    [Fact]
    public async Task Read_CrossJoinOfTwoPatientsNotes_RecordsBothPatients()
    {
        using var host = new ShapesHost(_database);
        var reads = await ReadAsync(
            host,
            db => (from a in db.Visits.Where(v => v.MemberId == ShapesHost.A)
                   from b in db.Visits.Where(v => v.MemberId == ShapesHost.C)
                   select new { a, b.Text }).ToListAsync(),
            rows => Assert.Equal(4, rows.Count));

        Assert.Equal([("Visit", A), ("Visit", C)], Attributed(reads));
    }

    [Fact]
    public async Task Read_OnePatientsNoteJoinedToAnotherPatientsName_RecordsBothPatients()
    {
        using var host = new ShapesHost(_database);
        var reads = await ReadAsync(
            host,
            db => (from v in db.Visits
                   where v.MemberId == ShapesHost.A
                   from m in db.Members
                   where m.Id == ShapesHost.B
                   select new { v.Text, m.Name }).ToListAsync(),
            rows => Assert.All(rows, r => Assert.Equal("Bea", r.Name)));

        Assert.Equal([("Member", B), ("Visit", A)], Attributed(reads));
    }

    [Fact]
    public async Task Read_ExplicitJoinWithResultSelector_RecordsEachSidesPatient()
    {
        using var host = new ShapesHost(_database);
        var reads = await ReadAsync(
            host,
            db => db.Visits.Where(v => v.MemberId == ShapesHost.B).Join(db.Members, v => v.MemberId, m => m.Id, (v, m) => new { m.Name, v.Minutes }).FirstAsync(),
            row => Assert.Equal("Bea", row.Name));

        Assert.Equal([("Member", B), ("Visit", B)], Attributed(reads));
    }

    [Fact]
    public async Task Read_ProjectionWithNonPhiJoin_RecordsOnlyThePhiPatient()
    {
        using var host = new ShapesHost(_database);
        var reads = await ReadAsync(
            host,
            db => (from v in db.Visits where v.MemberId == ShapesHost.C from c in db.Clinics select new { Clinic = c.Name, v.Minutes }).ToListAsync(),
            rows => Assert.Equal(2, rows.Count));

        Assert.Equal([("Visit", C)], Attributed(reads));
    }

    [Fact]
    public async Task Read_ConditionalWhoseTestReadsTheSameEntity_RecordsExactlyThatEntitysPatients()
    {
        // The test reads the visit itself, so every row discloses something of its visit: the visits' patients, nothing more.
        using var host = new ShapesHost(_database);
        var reads = await ReadAsync(
            host,
            db => db.Visits.Where(v => v.MemberId != ShapesHost.C).Select(v => v.Minutes > 40 ? null : v.Text).ToListAsync(),
            rows => Assert.Equal(2, rows.Count(t => t is null)));

        Assert.Equal([("Visit", A), ("Visit", B)], Attributed(reads));
        Assert.DoesNotContain(reads, r => r.PatientId is null);
    }

    [Fact]
    public async Task Read_ConditionalOnACapturedValue_RecordsOnlyTheBranchReturned()
    {
        // EF Core evaluates a test it can compute before the query (a captured flag) and keeps only the branch taken
        // (ExpressionTreeFuncletizer.VisitConditional); the other branch's entity is never read.
        using var host = new ShapesHost(_database);
        foreach (var showText in new[] { true, false })
        {
            var reads = await ReadAsync(
                host,
                db => (from v in db.Visits.AsNoTracking() where v.MemberId == ShapesHost.A
                       from m in db.Members.AsNoTracking() where m.Id == ShapesHost.B
                       select showText ? v.Text : m.Name).ToListAsync(),
                rows => Assert.All(rows, r => Assert.StartsWith(showText ? "Ada" : "Bea", r, StringComparison.Ordinal)));

            Assert.Equal(showText ? [("Visit", A)] : [("Member", B)], Attributed(reads));
            Assert.DoesNotContain(reads, r => r.PatientId is null);
        }
    }

    [Fact]
    public async Task Read_ConditionalDecidedPerRow_RecordsBothBranchesSources()
    {
        // A test that depends on the row is evaluated on the client, after EF Core has materialized every entity the
        // projection references: B's member was materialized, decrypted and decided although no row returned its name, and
        // is recorded — the safe over-approximation (docs/audit.md, "Query shape → what is recorded").
        using var host = new ShapesHost(_database);
        var reads = await ReadAsync(
            host,
            db => (from v in db.Visits.AsNoTracking() where v.MemberId == ShapesHost.A
                   from m in db.Members.AsNoTracking() where m.Id == ShapesHost.B
                   select v.Minutes > 0 ? v.Text : m.Name).ToListAsync(),
            rows => Assert.All(rows, r => Assert.StartsWith("Ada", r, StringComparison.Ordinal)));

        Assert.Equal([("Member", B), ("Visit", A)], Attributed(reads));
        Assert.DoesNotContain(reads, r => r.PatientId is null);
    }

    [Fact]
    public async Task Read_ProjectionThenOrderingOverItsMembers_IsNeverDropped()
    {
        // Ordering by a projected member keeps the projection in SQL, where it cannot be attributed: recorded unattributed.
        using var host = new ShapesHost(_database);
        var reads = await ReadAsync(host, db => db.Visits.Select(v => new { v.Text }).OrderBy(x => x.Text).ToListAsync(), rows => Assert.Equal(6, rows.Count));

        var read = Assert.Single(reads);
        Assert.Null(read.PatientId);
        Assert.Equal((AuditAction.Read, "Visit", 6), (read.Action, read.Entity, read.RowCount));
    }

    [Fact]
    public async Task Read_AggregatesWhosePredicatePinsPatients_RecordThosePatients()
    {
        using var host = new ShapesHost(_database);
        var counted = await ReadAsync(host, db => db.Visits.CountAsync(v => v.MemberId == ShapesHost.A && v.Text.Contains("anxiety")), count => Assert.Equal(1, count));
        Assert.Equal([("Visit", A)], Attributed(counted));

        var ids = new List<Guid> { ShapesHost.A, ShapesHost.C };
        var summed = await ReadAsync(host, db => db.Visits.Where(v => ids.Contains(v.MemberId)).SumAsync(v => v.Minutes), sum => Assert.Equal(160, sum));
        Assert.Equal([("Visit", A), ("Visit", C)], Attributed(summed));

        var any = await ReadAsync(host, db => Task.FromResult(db.Visits.Any(v => ShapesHost.B == v.MemberId)), found => Assert.True(found));
        Assert.Equal([("Visit", B)], Attributed(any));
        Assert.DoesNotContain(counted.Concat(summed).Concat(any), r => r.PatientId is null);
    }

    [Fact]
    public async Task Read_AggregatesNotPinnedToPatients_AreRecordedUnattributedWithTheirTables()
    {
        using var host = new ShapesHost(_database);
        var counted = await ReadAsync(host, db => db.Visits.CountAsync(v => v.MemberId == ShapesHost.A || v.Text.Contains("anxiety")), count => Assert.Equal(4, count));
        var grouped = await ReadAsync(host, db => db.Visits.GroupBy(v => v.Minutes).Select(g => new { g.Key, Total = g.Sum(v => v.Minutes) }).ToListAsync(), rows => Assert.Equal(2, rows.Count));
        var any = await ReadAsync(host, db => db.Visits.AnyAsync(v => v.Text.Contains("slept")), found => Assert.True(found));

        Assert.All(counted.Concat(grouped).Concat(any), r =>
        {
            Assert.Null(r.PatientId);
            Assert.Equal((AuditAction.Read, "Visit", "ProgressNote"), (r.Action, r.Entity, r.Categories));
            Assert.Equal(64, r.QueryFingerprint!.Length);
        });
        Assert.Equal([1, 2, 1], new[] { counted, grouped, any }.Select(r => Assert.Single(r).RowCount));
    }

    [Fact]
    public async Task Read_StreamedProjectionWithoutAnAccessContext_ReturnsNoValueAtAll()
    {
        using var host = new ShapesHost(_database);
        var before = host.Records().Count;
        await using var context = host.CreateContext();
        var received = 0;
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var text in context.Visits.Select(v => v.Text).AsAsyncEnumerable())
            {
                received++;
            }
        });

        Assert.Equal(0, received);
        Assert.Contains("AccessContext.Begin", failure.Message, StringComparison.Ordinal);

        var scalar = await Assert.ThrowsAsync<InvalidOperationException>(() => context.Visits.CountAsync());
        Assert.Contains("AccessContext.Begin", scalar.Message, StringComparison.Ordinal);
        Assert.Equal(before, host.Records().Count);
    }

    [Fact]
    public async Task Read_CompiledProjectionQuery_RecordsEachPatient()
    {
        using var host = new ShapesHost(_database);
        var query = EF.CompileAsyncQuery((ShapesDb db, Guid id) => db.Visits.Where(v => v.MemberId == id).Select(v => new { v.Member!.Name, v.Minutes }));
        var before = host.Records().Count;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            foreach (var id in new[] { ShapesHost.A, ShapesHost.C })
            {
                await foreach (var row in query(context, id))
                {
                    Assert.NotEmpty(row.Name);
                }
            }
        }

        Assert.Equal([("Member", A), ("Member", C), ("Visit", A), ("Visit", C)], Attributed(host.Records().Skip(before)));
    }

    [Fact]
    public async Task Read_CollectionProjectionOfANavigation_IsRecorded()
    {
        using var host = new ShapesHost(_database);
        var reads = await ReadAsync(
            host,
            db => db.Members.Where(m => m.Id == ShapesHost.B).Select(m => new { m.Name, Texts = m.Visits.Select(v => v.Text).ToList() }).SingleAsync(),
            row => Assert.Equal(2, row.Texts.Count));

        Assert.Contains(reads, r => (r.Entity, r.PatientId) == ("Member", B));
        Assert.DoesNotContain(reads, r => r.PatientId is not null && r.PatientId != B);
        Assert.True(reads.Any(r => r.Entity == "Visit" && r.PatientId == B) || reads.Any(r => r.PatientId is null && r.Entity.Contains("Visit", StringComparison.Ordinal)), "the visits' texts were recorded");
    }

    private static async Task<List<AuditEntry>> ReadAsync<T>(ShapesHost host, Func<ShapesDb, Task<T>> query, Action<T> check)
    {
        var before = host.Records().Count;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            check(await query(context));
        }

        var reads = host.Records().Skip(before).ToList();
        Assert.All(reads, r => Assert.Equal(AuditAction.Read, r.Action));
        return reads;
    }

    private static List<(string Entity, string Patient)> Attributed(IEnumerable<AuditEntry> reads) =>
        [.. reads.Where(r => r.PatientId is not null).Select(r => (r.Entity, r.PatientId!)).Distinct().Order()];

    public sealed class VisitRow
    {
        public string Patient { get; set; } = string.Empty;

        public int Minutes { get; set; }
    }
}

public sealed class SqliteQueryShapeAuditTests() : QueryShapeAuditTests("sqlite");

public sealed class PostgresQueryShapeAuditTests() : QueryShapeAuditTests("postgres");
