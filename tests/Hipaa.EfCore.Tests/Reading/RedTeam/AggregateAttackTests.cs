using Hipaa.Auditing;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam;

/// <summary>
/// Aggregates pinned to patients by their predicate are recorded against those patients: a pin must not be claimed by a
/// query that also reads other patients' rows of the same table through a subquery, where the tables-touched check cannot
/// tell the difference.
/// </summary>
public abstract class AggregateAttackTests(string provider) : RedTeamFixture(provider)
{
    [Fact]
    public async Task Count_PinnedToOnePatientButFilteredByAnotherPatientsNotes_IsRecordedUnattributed()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => db.Visits.Where(v => v.MemberId == ShapesHost.A).CountAsync(v => db.Visits.Any(w => w.MemberId == ShapesHost.B && w.Text.Contains("anxiety"))),
            n => Assert.Equal(2, n));

        Assert.Empty(Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Visit", 1)], Unattributed(reads));
    }

    [Fact]
    public async Task Max_PinnedToOnePatientOverASubqueryOfAnotherPatientsText_IsRecordedUnattributed()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => db.Visits.Where(v => v.MemberId == ShapesHost.A).MaxAsync(v => db.Visits.Where(w => w.MemberId == ShapesHost.C).Max(w => w.Text)),
            max => Assert.Equal("Cy slept better", max));

        Assert.Empty(Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Visit", 1)], Unattributed(reads));
    }

    [Fact]
    public async Task Aggregates_PinnedWithoutSubqueries_AreRecordedAgainstTheirPatients()
    {
        using var host = new ShapesHost(Database);
        var max = await ReadAsync(host, db => db.Visits.Where(v => v.MemberId == ShapesHost.A).MaxAsync(v => v.Text), m => Assert.Equal("Ada slept better", m));
        var ids = new[] { ShapesHost.B, ShapesHost.C };
        var average = await ReadAsync(host, db => db.Visits.Where(v => ids.Contains(v.MemberId)).OrderBy(v => v.Minutes).AverageAsync(v => v.Minutes), a => Assert.Equal(40, a));
        var counted = await ReadAsync(host, db => db.Visits.LongCountAsync(v => v.MemberId == ShapesHost.C && v.Minutes > 40), n => Assert.Equal(1, n));

        Assert.Equal([("Visit", A)], Attributed(max));
        Assert.Equal([("Visit", B), ("Visit", C)], Attributed(average));
        Assert.Equal([("Visit", C)], Attributed(counted));
        Assert.Empty(Unattributed(max.Concat(average).Concat(counted)));
    }

    [Fact]
    public async Task CompiledPinnedAggregate_IsRecordedAgainstEachExecutionsPatient()
    {
        using var host = new ShapesHost(Database);
        var count = EF.CompileAsyncQuery((ShapesDb db, Guid id) => db.Visits.Count(v => v.MemberId == id));
        var first = await ReadAsync(host, db => count(db, ShapesHost.A), n => Assert.Equal(2, n));
        var second = await ReadAsync(host, db => count(db, ShapesHost.C), n => Assert.Equal(2, n));

        Assert.Equal([("Visit", A)], Attributed(first));
        Assert.Equal([("Visit", C)], Attributed(second));
        Assert.Empty(Unattributed(first.Concat(second)));
    }

    [Fact]
    public async Task Aggregate_OverAProjectionOrANavigation_IsRecordedUnattributed()
    {
        using var host = new ShapesHost(Database);
        var projected = await ReadAsync(host, db => db.Visits.Where(v => v.MemberId == ShapesHost.A).Select(v => v.Minutes).SumAsync(), s => Assert.Equal(80, s));
        var navigated = await ReadAsync(host, db => db.Visits.Where(v => v.MemberId == ShapesHost.A).MaxAsync(v => v.Member!.Name), m => Assert.Equal("Ada", m));

        Assert.Empty(Attributed(projected.Concat(navigated)));
        Assert.Equal([(AuditAction.Read, "Visit", 1)], Unattributed(projected));
        Assert.Equal([(AuditAction.Read, "Member,Visit", 1)], Unattributed(navigated));
    }
}

public sealed class SqliteAggregateAttackTests() : AggregateAttackTests("sqlite");

public sealed class PostgresAggregateAttackTests() : AggregateAttackTests("postgres");
