using Hipaa.Auditing;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam;

/// <summary>
/// Query shapes an application (or someone trying to read PHI without a trace) writes around the final projection:
/// projections composed over other projections, <c>let</c>, GroupBy, set operators, SelectMany, conditionals, string
/// building, paging. Each either records every patient whose values it returned, or an unattributed record with the
/// rows it read — never nothing.
/// </summary>
public abstract class ProjectionShapeAttackTests(string provider) : RedTeamFixture(provider)
{
    private static readonly (AuditAction, string, int)[] NoUnattributed = [];

    [Fact]
    public async Task Read_ProjectionOverAnAnonymousProjection_IsRecordedUnattributedWithItsRows()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(host, db => db.Visits.Select(v => new { v.Text }).Select(x => x.Text).ToListAsync(), rows => Assert.Equal(6, rows.Count));

        Assert.Empty(Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Visit", 6)], Unattributed(reads));
    }

    [Fact]
    public async Task Read_LetClauseCarryingAPhiValue_IsRecordedUnattributedWithItsRows()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => (from v in db.Visits let t = v.Text where v.Minutes > 40 select new { t }).ToListAsync(),
            rows => Assert.Equal(3, rows.Count));

        Assert.Empty(Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Visit", 3)], Unattributed(reads));
    }

    [Fact]
    public async Task Read_LetClauseCarryingOnlyEntities_IsRecordedPerPatient()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => (from v in db.Visits where v.MemberId == ShapesHost.A let m = v.Member select new { v.Text, m.Name }).ToListAsync(),
            rows => Assert.All(rows, r => Assert.Equal("Ada", r.Name)));

        Assert.Equal([("Member", A), ("Visit", A)], Attributed(reads));
        Assert.Equal(NoUnattributed, Unattributed(reads));
    }

    [Fact]
    public async Task Read_GroupByAPhiValueReturningOnlyTheKey_IsRecordedUnattributed()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(host, db => db.Visits.GroupBy(v => v.Text).Select(g => g.Key).ToListAsync(), rows => Assert.Contains("Ada reported anxiety", rows));

        Assert.Empty(Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Visit", 6)], Unattributed(reads));
    }

    [Fact]
    public async Task Read_GroupByThePatientIdWithACount_IsRecordedPerGroupsPatient()
    {
        // The key is the patient id: each row is attributed to its group's patient (PatientGrouping, issue 13).
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(host, db => db.Visits.GroupBy(v => v.MemberId).Select(g => new { g.Key, N = g.Count() }).ToListAsync(), rows => Assert.All(rows, r => Assert.Equal(2, r.N)));

        Assert.Equal([("Visit", A), ("Visit", B), ("Visit", C)], Attributed(reads));
        Assert.Equal(NoUnattributed, Unattributed(reads));
    }

    [Fact]
    public async Task Read_GroupByThenFirstElementsValue_RecordsTheElementsPatientsAndTheGroupsUnattributed()
    {
        // g.First() is an entity: its Text is read from it materialized; the grouping itself stays in SQL.
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => db.Visits.GroupBy(v => v.MemberId).Select(g => new { g.Key, Text = g.OrderBy(v => v.Minutes).First().Text }).ToListAsync(),
            rows => Assert.Contains(rows, r => r.Text == "Ada slept better"));

        Assert.Equal([("Visit", A), ("Visit", B), ("Visit", C)], Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Visit", 3)], Unattributed(reads));
    }

    [Fact]
    public async Task Read_ProjectionOverAnOwnedTypeProjection_IsRecordedUnattributed()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(host, db => db.Members.Select(m => m.Home).Select(h => h!.Street).ToListAsync(), rows => Assert.Contains("2 Oak St", rows));

        Assert.Empty(Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Member", 3)], Unattributed(reads));
    }

    [Fact]
    public async Task Read_OnePatientsValuesFilteredByASubqueryOverAnotherPatientsNotes_RecordsTheSubqueryUnattributed()
    {
        // Whether A's texts come back says whether B's notes mention anxiety: B's notes were read too.
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => db.Visits.Where(v => v.MemberId == ShapesHost.A && db.Visits.Any(w => w.MemberId == ShapesHost.B && w.Text.Contains("anxiety"))).Select(v => v.Text).ToListAsync(),
            rows => Assert.Equal(2, rows.Count));

        Assert.Equal([("Visit", A)], Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Visit", 2)], Unattributed(reads));
    }

    [Fact]
    public async Task Read_EntitiesFilteredByTheirNavigationsNotes_RecordTheEntitiesAndTheNotesUnattributed()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => db.Members.AsNoTracking().Where(m => m.Visits.Any(v => v.Text.Contains("Bea"))).ToListAsync(),
            rows => Assert.Equal("Bea", Assert.Single(rows).Name));

        Assert.Equal([("Member", B)], Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Member,Visit", 1)], Unattributed(reads));
    }

    [Fact]
    public async Task Read_ConcatOfTwoPatientsProjections_IsRecordedUnattributedWithEveryRow()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => db.Visits.Where(v => v.MemberId == ShapesHost.A).Select(v => v.Text).Concat(db.Visits.Where(v => v.MemberId == ShapesHost.C).Select(v => v.Text)).ToListAsync(),
            rows => Assert.Equal(4, rows.Count));

        Assert.Empty(Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Visit", 4)], Unattributed(reads));
    }

    [Fact]
    public async Task Read_UnionOfTwoPatientsEntities_IsRecordedPerPatient()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => db.Visits.AsNoTracking().Where(v => v.MemberId == ShapesHost.A).Union(db.Visits.Where(v => v.MemberId == ShapesHost.C)).ToListAsync(),
            rows => Assert.Equal(4, rows.Count));

        Assert.Equal([("Visit", A), ("Visit", C)], Attributed(reads));
        Assert.Equal(NoUnattributed, Unattributed(reads));
    }

    [Fact]
    public async Task Read_IntersectAndExceptOfProjections_AreRecordedUnattributed()
    {
        using var host = new ShapesHost(Database);
        var intersect = await ReadAsync(
            host,
            db => db.Visits.Select(v => v.Minutes).Intersect(db.Visits.Where(v => v.MemberId == ShapesHost.B).Select(v => v.Minutes)).ToListAsync(),
            rows => Assert.Equal([30, 50], rows.Order()));
        var except = await ReadAsync(
            host,
            db => db.Members.Select(m => m.Name).Except(db.Members.Where(m => m.Id == ShapesHost.A).Select(m => m.Name)).ToListAsync(),
            rows => Assert.Equal(["Bea", "Cy"], rows.Order()));

        Assert.Empty(Attributed(intersect.Concat(except)));
        Assert.Equal([(AuditAction.Read, "Visit", 2)], Unattributed(intersect));
        Assert.Equal([(AuditAction.Read, "Member", 2)], Unattributed(except));
    }

    [Fact]
    public async Task Read_SelectManyOverANavigationWithResultSelector_IsRecordedPerPatient()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => db.Members.Where(m => m.Id == ShapesHost.B).SelectMany(m => m.Visits, (m, v) => new { m.Name, v.Text }).ToListAsync(),
            rows => Assert.Equal(2, rows.Count));

        Assert.Equal([("Member", B), ("Visit", B)], Attributed(reads));
        Assert.Equal(NoUnattributed, Unattributed(reads));
    }

    [Fact]
    public async Task Read_SelectManyOfAProjectedCollection_IsRecordedUnattributed()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(host, db => db.Members.SelectMany(m => m.Visits.Select(v => v.Text)).ToListAsync(), rows => Assert.Equal(6, rows.Count));

        Assert.Empty(Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Member,Visit", 6)], Unattributed(reads));
    }

    [Fact]
    public async Task Read_ThreeFromClauses_IsRecordedPerPatientOfEachSource()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => (from a in db.Visits.Where(v => v.MemberId == ShapesHost.A)
                   from m in db.Members.Where(m => m.Id == ShapesHost.B)
                   from c in db.Clinics
                   select new { a.Text, m.Name, Clinic = c.Name }).ToListAsync(),
            rows => Assert.Equal(2, rows.Count));

        Assert.Equal([("Member", B), ("Visit", A)], Attributed(reads));
        Assert.Equal(NoUnattributed, Unattributed(reads));
    }

    [Fact]
    public async Task Read_LeftJoinThroughGroupJoin_IsRecordedPerPatient()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => (from m in db.Members.Where(m => m.Id == ShapesHost.C)
                   join v in db.Visits on m.Id equals v.MemberId into visits
                   from v in visits.DefaultIfEmpty()
                   select new { m.Name, Text = v == null ? null : v.Text }).ToListAsync(),
            rows => Assert.Equal(2, rows.Count));

        Assert.Equal([("Member", C), ("Visit", C)], Attributed(reads));
        Assert.Equal(NoUnattributed, Unattributed(reads));
    }

    [Fact]
    public async Task Read_PagedProjection_RecordsOnlyThePatientsOfThePage()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => db.Members.OrderBy(m => m.Name).Select(m => new { m.Name, m.Home }).Skip(1).Take(1).ToListAsync(),
            rows => Assert.Equal("Bea", Assert.Single(rows).Name));

        Assert.Equal([("Member", B)], Attributed(reads));
        Assert.Equal(NoUnattributed, Unattributed(reads));
    }

    [Fact]
    public async Task Read_ConditionalChoosingBetweenTwoEntitiesValues_RecordsBothEntities()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => db.Visits.Where(v => v.MemberId == ShapesHost.C).Select(v => v.Minutes > 40 ? v.Text : v.Member!.Name).ToListAsync(),
            rows => Assert.Equal(["Cy", "Cy reported anxiety"], rows.Order()));

        Assert.Equal([("Member", C), ("Visit", C)], Attributed(reads));
        Assert.Equal(NoUnattributed, Unattributed(reads));
    }

    [Fact]
    public async Task Read_StringInterpolationAndConcatOfPhi_RecordsEachEntity()
    {
        using var host = new ShapesHost(Database);
        var interpolated = await ReadAsync(
            host,
            db => db.Visits.Where(v => v.MemberId == ShapesHost.A).Select(v => $"{v.Member!.Name}: {v.Text} ({v.Minutes})").ToListAsync(),
            rows => Assert.Contains("Ada: Ada slept better (30)", rows));
        var concatenated = await ReadAsync(
            host,
            db => db.Members.Where(m => m.Id == ShapesHost.B).Select(m => string.Concat(m.Name, "/", m.Home!.Street)).SingleAsync(),
            row => Assert.Equal("Bea/2 Oak St", row));

        Assert.Equal([("Member", A), ("Visit", A)], Attributed(interpolated));
        Assert.Equal([("Member", B)], Attributed(concatenated));
        Assert.Equal(NoUnattributed, Unattributed(interpolated.Concat(concatenated)));
    }

    [Fact]
    public async Task Read_ConstantProjectionFilteredByAPhiPredicate_IsRecordedUnattributed()
    {
        // The rows reveal which (and how many) notes match a predicate over their text.
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(host, db => db.Visits.Where(v => v.Text.Contains("anxiety")).Select(v => 1).ToListAsync(), rows => Assert.Equal(3, rows.Count));

        Assert.Empty(Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Visit", 3)], Unattributed(reads));
    }

    [Fact]
    public async Task Read_PhiEntityBuiltFromConstantsOverPhiRows_IsRecordedUnattributed()
    {
        // new Visit { … } is constructed on the client: nothing is materialized, yet one object comes back per matching note.
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(host, db => db.Visits.Where(v => v.Text.Contains("slept")).Select(v => new Visit { Text = "redacted" }).ToListAsync(), rows => Assert.Equal(3, rows.Count));

        Assert.Empty(Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Visit", 3)], Unattributed(reads));
    }

    [Fact]
    public async Task Read_PhiEntityBuiltFromAnotherEntitysValues_RecordsThatEntitysPatients()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(host, db => db.Visits.Where(v => v.MemberId == ShapesHost.C).Select(v => new Visit { Id = v.Id, Text = v.Text }).ToListAsync(), rows => Assert.Equal(2, rows.Count));

        Assert.Equal([("Visit", C)], Attributed(reads));
        Assert.Empty(Unattributed(reads));
    }

    [Fact]
    public async Task Read_EfPropertyInAProjection_IsRecordedUnattributed()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(host, db => db.Visits.Select(v => EF.Property<string>(v, nameof(Visit.Text))).ToListAsync(), rows => Assert.Equal(6, rows.Count));

        Assert.Empty(Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Visit", 6)], Unattributed(reads));
    }

    [Fact]
    public async Task Read_NonPhiRowsFilteredByAPhiSubquery_AreRecordedUnattributed()
    {
        // Whether the clinic row comes back tells whether patient A's notes mention anxiety.
        using var host = new ShapesHost(Database);
        var names = await ReadAsync(
            host,
            db => db.Clinics.Where(c => db.Visits.Any(v => v.MemberId == ShapesHost.A && v.Text.Contains("anxiety"))).Select(c => c.Name).ToListAsync(),
            rows => Assert.Equal(["North"], rows));
        var entities = await ReadAsync(
            host,
            db => db.Clinics.AsNoTracking().Where(c => db.Visits.Any(v => v.MemberId == ShapesHost.A && v.Text.Contains("anxiety"))).ToListAsync(),
            rows => Assert.Single(rows));

        Assert.Empty(Attributed(names.Concat(entities)));
        Assert.Equal([(AuditAction.Read, "Visit", 1)], Unattributed(names));
        Assert.Equal([(AuditAction.Read, "Visit", 1)], Unattributed(entities));
    }

    [Fact]
    public async Task Read_PhiOrderingOfAProjectionOfKeys_RecordsEachPatient()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(host, db => db.Visits.OrderBy(v => v.Text).Select(v => v.Id).ToListAsync(), rows => Assert.Equal(6, rows.Count));

        Assert.Equal([("Visit", A), ("Visit", B), ("Visit", C)], Attributed(reads));
        Assert.Equal(NoUnattributed, Unattributed(reads));
    }

    [Fact]
    public async Task Read_SingleElementOperatorsOnProjections_RecordTheirPatient()
    {
        using var host = new ShapesHost(Database);
        var last = await ReadAsync(host, db => db.Visits.Where(v => v.MemberId == ShapesHost.B).OrderBy(v => v.Minutes).Select(v => v.Text).LastAsync(), row => Assert.Equal("Bea reported anxiety", row));
        var at = await ReadAsync(host, db => Task.FromResult(db.Visits.Where(v => v.MemberId == ShapesHost.C).OrderBy(v => v.Minutes).Select(v => new { v.Text }).ElementAt(1)), row => Assert.Equal("Cy reported anxiety", row.Text));
        var single = await ReadAsync(host, db => db.Members.Where(m => m.Id == ShapesHost.A).Select(m => m.Home).SingleAsync(), row => Assert.Equal("1 Elm St", row!.Street));

        Assert.Equal([("Visit", B)], Attributed(last));
        Assert.Equal([("Visit", C)], Attributed(at));
        Assert.Equal([("Member", A)], Attributed(single));
        Assert.Equal(NoUnattributed, Unattributed(last.Concat(at).Concat(single)));
    }

    [Fact]
    public async Task Read_FirstWithAPredicateOverAProjection_IsRecordedUnattributed()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(host, db => db.Visits.Select(v => new { v.MemberId, v.Text }).FirstAsync(x => x.MemberId == ShapesHost.A && x.Text.Contains("slept")), row => Assert.Equal("Ada slept better", row.Text));

        Assert.Empty(Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Visit", 1)], Unattributed(reads));
    }

    [Fact]
    public async Task Read_ToDictionaryAndToLookupOfProjections_RecordEachPatient()
    {
        using var host = new ShapesHost(Database);
        var dictionary = await ReadAsync(host, db => db.Visits.Where(v => v.MemberId != ShapesHost.B).Select(v => new { v.Id, v.Text }).ToDictionaryAsync(x => x.Id, x => x.Text), rows => Assert.Equal(4, rows.Count));
        var lookup = await ReadAsync(host, db => Task.FromResult(db.Visits.Where(v => v.MemberId == ShapesHost.B).ToLookup(v => v.MemberId, v => v.Text)), rows => Assert.Equal(2, rows[ShapesHost.B].Count()));

        Assert.Equal([("Visit", A), ("Visit", C)], Attributed(dictionary));
        Assert.Equal([("Visit", B)], Attributed(lookup));
        Assert.Equal(NoUnattributed, Unattributed(dictionary.Concat(lookup)));
    }

    [Fact]
    public async Task Read_CompiledQueryOfAProjectionOverAProjection_IsRecordedUnattributedOnEachExecution()
    {
        using var host = new ShapesHost(Database);
        var query = EF.CompileAsyncQuery((ShapesDb db, Guid id) => db.Visits.Where(v => v.MemberId == id).Select(v => new { v.Text, v.Minutes }).Select(x => x.Text));
        var reads = await ReadAsync(
            host,
            async db =>
            {
                var texts = new List<string>();
                foreach (var id in new[] { ShapesHost.A, ShapesHost.C })
                {
                    await foreach (var text in query(db, id))
                    {
                        texts.Add(text);
                    }
                }

                return texts;
            },
            rows => Assert.Equal(4, rows.Count));

        Assert.Empty(Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Visit", 2), (AuditAction.Read, "Visit", 2)], Unattributed(reads));
    }

    [Fact]
    public async Task Read_NestedCollectionInAProjection_RecordsTheOwnerAndTheCollectionUnattributed()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => db.Members.Where(m => m.Id == ShapesHost.A).Select(m => new { m.Name, Texts = m.Visits.Select(v => v.Text).ToList() }).ToListAsync(),
            rows => Assert.Equal(2, Assert.Single(rows).Texts.Count));

        Assert.Equal([("Member", A)], Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Member,Visit", 2)], Unattributed(reads));
    }

    [Fact]
    public async Task Read_SplitQueryWithInclude_RecordsEachPatientOfBothEntities()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(host, db => db.Members.AsNoTracking().Include(m => m.Visits).AsSplitQuery().Where(m => m.Id != ShapesHost.C).ToListAsync(), rows => Assert.All(rows, r => Assert.Equal(2, r.Visits.Count)));

        Assert.Equal([("Member", A), ("Member", B), ("Visit", A), ("Visit", B)], Attributed(reads));
        Assert.Equal(NoUnattributed, Unattributed(reads));
    }

    [Fact]
    public async Task Read_NoTrackingWithIdentityResolutionProjection_RecordsEachPatient()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(host, db => db.Visits.AsNoTrackingWithIdentityResolution().Select(v => new { v.Member, v.Text }).ToListAsync(), rows => Assert.Equal(6, rows.Count));

        Assert.Equal([("Member", A), ("Member", B), ("Member", C), ("Visit", A), ("Visit", B), ("Visit", C)], Attributed(reads));
        Assert.Equal(NoUnattributed, Unattributed(reads));
    }

    [Fact]
    public async Task Read_FromSqlComposedWithAProjection_RecordsThePatientsOfItsRows()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => db.Visits.FromSql($"SELECT * FROM \"Visits\" WHERE \"MemberId\" = {ShapesHost.A}").Select(v => new { v.Text }).ToListAsync(),
            rows => Assert.Equal(2, rows.Count));

        Assert.Equal([("Visit", A)], Attributed(reads));
        Assert.Equal(NoUnattributed, Unattributed(reads));
    }

    [Fact]
    public async Task Read_NonPhiEntityFromSqlCarryingPhiColumns_IsRecordedUnattributed()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => db.Clinics.FromSqlRaw("SELECT 1 AS \"Id\", \"Text\" AS \"Name\" FROM \"Visits\"").AsNoTracking().Select(c => c.Name).ToListAsync(),
            rows => Assert.Contains("Ada reported anxiety", rows));
        var entities = await ReadAsync(
            host,
            db => db.Clinics.FromSqlRaw("SELECT 1 AS \"Id\", \"Text\" AS \"Name\" FROM \"Visits\"").AsNoTracking().ToListAsync(),
            rows => Assert.Equal(6, rows.Count));

        Assert.Empty(Attributed(reads.Concat(entities)));
        Assert.Equal([(AuditAction.Read, "Visit", 6)], Unattributed(reads));
        Assert.Equal([(AuditAction.Read, "Visit", 6)], Unattributed(entities));
    }
}

public sealed class SqliteProjectionShapeAttackTests() : ProjectionShapeAttackTests("sqlite");

public sealed class PostgresProjectionShapeAttackTests() : ProjectionShapeAttackTests("postgres");
