using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading;

/// <summary>
/// Aggregates grouped by patient: a <c>GroupBy</c> whose key is, or holds, the patient id records each returned row
/// against its group's patient — exactly the patients whose rows came back, one record per patient per access — on
/// SQLite and PostgreSQL. Groupings by anything else stay unattributed, with their tables and rows, never dropped.
/// </summary>
public abstract class PatientGroupingAuditTests : IDisposable
{
    private static readonly string A = ShapesHost.A.ToString(), B = ShapesHost.B.ToString(), C = ShapesHost.C.ToString();
    private readonly TestDatabase _database;

    protected PatientGroupingAuditTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Read_GroupByPatientIdWithAggregatesOfPhi_RecordsEachGroupsPatient()
    {
        using var host = new ShapesHost(_database);
        var reads = await ReadAsync(
            host,
            db => db.Visits.GroupBy(v => v.MemberId).Select(g => new { g.Key, Count = g.Count(), Last = g.Max(v => v.Text) }).ToListAsync(),
            rows => Assert.Equal(["Ada slept better", "Bea slept better", "Cy slept better"], rows.Select(r => r.Last).Order()));

        Assert.Equal([("Visit", A), ("Visit", B), ("Visit", C)], Attributed(reads));
        Assert.DoesNotContain(reads, r => r.PatientId is null);
        Assert.All(reads, r =>
        {
            Assert.Equal(("ProgressNote", "PSY"), (r.Categories, r.Labels));
            Assert.Equal(["MemberId", "Text"], r.Fields.Split(AuditEntry.ListSeparator));
            Assert.Equal(64, r.QueryFingerprint!.Length);
        });
    }

    [Fact]
    public async Task Read_GroupByPatient_IsOneRecordPerAccessNamingEveryPatient()
    {
        using var host = new ShapesHost(_database);
        var before = _database.AuditRows().Count;
        await ReadAsync(host, db => db.Visits.GroupBy(v => v.MemberId).Select(g => new { g.Key, Total = g.Sum(v => v.Minutes) }).ToListAsync(), rows => Assert.Equal(3, rows.Count));

        var row = Assert.Single(_database.AuditRows().Skip(before));
        Assert.Null(row.PatientId);
        Assert.Equal([A, B, C], row.Patients().Order());
    }

    [Fact]
    public async Task Read_GroupByACompositeKeyHoldingThePatientId_RecordsEachPatientOnce()
    {
        using var host = new ShapesHost(_database);
        var reads = await ReadAsync(
            host,
            db => db.Visits.GroupBy(v => new { v.MemberId, v.Minutes }).Select(g => new { g.Key.MemberId, g.Key.Minutes, N = g.Count() }).ToListAsync(),
            rows => Assert.Equal(6, rows.Count));

        Assert.Equal([A, B, C], reads.Select(r => r.PatientId).Order());
        Assert.All(reads, r => Assert.Equal("Visit", r.Entity));
    }

    [Fact]
    public async Task Read_GroupByThePatientThroughTheNavigation_RecordsOnlyTheGroupsReturned()
    {
        using var host = new ShapesHost(_database);
        var reads = await ReadAsync(
            host,
            db => db.Visits.Where(v => v.MemberId != ShapesHost.C).GroupBy(v => v.Member!.Id).Select(g => new { g.Key, Total = g.Sum(v => v.Minutes) }).ToListAsync(),
            rows => Assert.Equal([80, 80], rows.Select(r => r.Total)));

        Assert.Equal([("Visit", A), ("Visit", B)], Attributed(reads));
        Assert.DoesNotContain(reads, r => r.PatientId is null);
    }

    [Fact]
    public async Task Read_GroupByPatientReturningOnlyTheKeyOrOnlyAnAggregate_RecordsEachGroupsPatient()
    {
        using var host = new ShapesHost(_database);
        var keys = await ReadAsync(host, db => db.Visits.GroupBy(v => v.MemberId).Select(g => g.Key).ToListAsync(), rows => Assert.Equal(3, rows.Count));
        Assert.Equal([("Visit", A), ("Visit", B), ("Visit", C)], Attributed(keys));

        // The key is not returned: it is added to the SQL projection, read per row and recorded.
        var counts = await ReadAsync(
            host,
            db => db.Visits.Where(v => v.MemberId != ShapesHost.B && v.Text.Contains("anxiety")).GroupBy(v => v.MemberId).Select(g => g.Count()).ToListAsync(),
            rows => Assert.Equal([1, 1], rows));
        Assert.Equal([("Visit", A), ("Visit", C)], Attributed(counts));
        Assert.DoesNotContain(keys.Concat(counts), r => r.PatientId is null);
    }

    [Fact]
    public async Task Read_GroupByPatientIntoADictionary_RecordsEachGroupsPatient()
    {
        using var host = new ShapesHost(_database);
        var reads = await ReadAsync(
            host,
            db => db.Visits.GroupBy(v => v.MemberId).Select(g => new { g.Key, N = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.N),
            map => Assert.Equal(2, map[ShapesHost.B]));

        Assert.Equal([("Visit", A), ("Visit", B), ("Visit", C)], Attributed(reads));
    }

    [Fact]
    public async Task Read_GroupByPatientOrderedAndPaged_RecordsOnlyThePatientsOfTheRowsReturned()
    {
        using var host = new ShapesHost(_database);

        // Ordering and paging over the projection's members: moved before the projection, the same rows.
        var top = await ReadAsync(
            host,
            db => db.Visits.GroupBy(v => v.MemberId).Select(g => new { g.Key, Total = g.Sum(v => v.Minutes) }).OrderByDescending(x => x.Key).Take(2).ToListAsync(),
            rows => Assert.Equal([ShapesHost.C, ShapesHost.B], rows.Select(r => r.Key)));
        Assert.Equal([("Visit", B), ("Visit", C)], Attributed(top));

        // Ordering, filtering and paging the groups themselves, then an aggregate without the key.
        var first = await ReadAsync(
            host,
            db => db.Visits.GroupBy(v => v.MemberId).Where(g => g.Count() > 1).OrderBy(g => g.Key).Skip(1).Take(1).Select(g => g.Max(v => v.Text)).ToListAsync(),
            rows => Assert.Equal(["Bea slept better"], rows));
        Assert.Equal([("Visit", B)], Attributed(first));

        var single = await ReadAsync(
            host,
            db => db.Visits.GroupBy(v => v.MemberId, (key, visits) => new { key, N = visits.Count() }).OrderBy(x => x.key).FirstAsync(),
            row => Assert.Equal(ShapesHost.A, row.key));
        Assert.Equal([("Visit", A)], Attributed(single));
        Assert.DoesNotContain(top.Concat(first).Concat(single), r => r.PatientId is null);
    }

    [Fact]
    public async Task Read_GroupByPatientSynchronouslyStreamedAndCompiled_RecordsEachGroupsPatient()
    {
        using var host = new ShapesHost(_database);
        var streamed = await ReadAsync(
            host,
            db =>
            {
                var keys = new List<Guid>();
                foreach (var row in db.Visits.GroupBy(v => v.MemberId).Select(g => new { g.Key, N = g.Count() }))
                {
                    keys.Add(row.Key);
                }

                return Task.FromResult(keys);
            },
            keys => Assert.Equal(3, keys.Count));
        Assert.Equal([("Visit", A), ("Visit", B), ("Visit", C)], Attributed(streamed));

        var query = EF.CompileAsyncQuery((ShapesDb db, Guid skipped) => db.Visits.Where(v => v.MemberId != skipped).GroupBy(v => v.MemberId).Select(g => new { g.Key, N = g.Count() }));
        var compiled = await ReadAsync(
            host,
            async db =>
            {
                var rows = new List<Guid>();
                await foreach (var row in query(db, ShapesHost.A))
                {
                    rows.Add(row.Key);
                }

                return rows;
            },
            keys => Assert.Equal(2, keys.Count));
        Assert.Equal([("Visit", B), ("Visit", C)], Attributed(compiled));
        Assert.DoesNotContain(streamed.Concat(compiled), r => r.PatientId is null);
    }

    [Fact]
    public async Task Read_GroupByAnotherColumnOverPhi_IsRecordedUnattributedWithItsTablesAndRows()
    {
        using var host = new ShapesHost(_database);
        var reads = await ReadAsync(host, db => db.Visits.GroupBy(v => v.Minutes).Select(g => new { g.Key, N = g.Count(), Last = g.Max(v => v.Text) }).ToListAsync(), rows => Assert.Equal(2, rows.Count));

        var read = Assert.Single(reads);
        Assert.Null(read.PatientId);
        Assert.Equal((AuditAction.Read, "Visit", "ProgressNote", 2), (read.Action, read.Entity, read.Categories, read.RowCount));
        Assert.Equal(64, read.QueryFingerprint!.Length);
    }

    [Fact]
    public async Task Read_GroupByPatientReadingAnotherEntity_IsRecordedUnattributedAsBefore()
    {
        // The member's name is read through a navigation: not attributed to the groups, so never less than unattributed.
        using var host = new ShapesHost(_database);
        var reads = await ReadAsync(host, db => db.Visits.GroupBy(v => v.MemberId).Select(g => new { g.Key, Name = g.Max(v => v.Member!.Name) }).ToListAsync(), rows => Assert.Equal(3, rows.Count));

        var read = Assert.Single(reads);
        Assert.Null(read.PatientId);
        Assert.Contains("Member", read.Entity, StringComparison.Ordinal);
        Assert.Contains("Visit", read.Entity, StringComparison.Ordinal);
        Assert.Equal(3, read.RowCount);
    }

    [Fact]
    public async Task Read_GroupByPatientOverRawSqlOrFilteredByASubquery_IsRecordedUnattributedAsBefore()
    {
        // Raw SQL may put any value in any column, and a subquery reads other patients' rows: neither is attributed to
        // the groups' patients; both stay recorded with their tables and rows.
        using var host = new ShapesHost(_database);
        var raw = await ReadAsync(
            host,
            db => db.Visits.FromSqlRaw("SELECT * FROM \"Visits\"").GroupBy(v => v.MemberId).Select(g => new { g.Key, N = g.Count() }).ToListAsync(),
            rows => Assert.Equal(3, rows.Count));
        var filtered = await ReadAsync(
            host,
            db => db.Visits.GroupBy(v => v.MemberId).Where(g => db.Visits.Any(w => w.MemberId == ShapesHost.B && w.Text.Contains("anxiety"))).Select(g => g.Key).ToListAsync(),
            rows => Assert.Equal(3, rows.Count));

        Assert.Equal((null, AuditAction.Read, 3), (Assert.Single(raw).PatientId, raw[0].Action, raw[0].RowCount));
        Assert.Equal((null, AuditAction.Read, 3), (Assert.Single(filtered).PatientId, filtered[0].Action, filtered[0].RowCount));
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
        Assert.All(reads, r => Assert.Equal((AuditAction.Read, AuditOutcome.Success), (r.Action, r.Outcome)));
        return reads;
    }

    private static List<(string Entity, string Patient)> Attributed(IEnumerable<AuditEntry> reads) =>
        [.. reads.Where(r => r.PatientId is not null).Select(r => (r.Entity, r.PatientId!)).Distinct().Order()];
}

public sealed class SqlitePatientGroupingAuditTests() : PatientGroupingAuditTests("sqlite");

public sealed class PostgresPatientGroupingAuditTests() : PatientGroupingAuditTests("postgres");
