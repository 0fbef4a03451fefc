using Hipaa.Auditing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hipaa.EfCore.Tests.Reading.RedTeam;

/// <summary>
/// EF Core buffers a query's rows before handing them on — every query under a retrying execution strategy (Npgsql's
/// <c>EnableRetryOnFailure()</c>, common in production), and a split query's related commands — and then disposes a
/// buffering reader rather than the provider's. Reads recorded unattributed must still be recorded, with every row.
/// </summary>
public abstract class BufferedReaderAttackTests(string provider) : RedTeamFixture(provider)
{
    [Fact]
    public async Task Read_UnderARetryingExecutionStrategy_AggregatesProjectionsAndSqlQueryAreRecordedWithTheirRows()
    {
        using var host = new CustomOptionsHost(Database, Retrying);
        var counted = await host.ReadAsync(db => db.Visits.CountAsync(), n => Assert.Equal(6, n));
        var ordered = await host.ReadAsync(db => db.Visits.Select(v => new { v.Text }).OrderBy(x => x.Text).ToListAsync(), rows => Assert.Equal(6, rows.Count));
        var raw = await host.ReadAsync(db => db.Database.SqlQueryRaw<string>("SELECT \"Text\" AS \"Value\" FROM \"Visits\"").ToListAsync(), rows => Assert.Equal(6, rows.Count));
        var grouped = await host.ReadAsync(db => db.Visits.GroupBy(v => v.Minutes).Select(g => new { g.Key, Total = g.Sum(v => v.Minutes) }).ToListAsync(), rows => Assert.Equal(2, rows.Count));

        Assert.Equal([(AuditAction.Read, "Visit", 1)], Unattributed(counted));
        Assert.Equal([(AuditAction.Read, "Visit", 6)], Unattributed(ordered));
        Assert.Equal([(AuditAction.Read, "Visit", 6)], Unattributed(raw));
        Assert.Equal([(AuditAction.Read, "Visit", 2)], Unattributed(grouped));
        Assert.Empty(Attributed(counted.Concat(ordered).Concat(raw).Concat(grouped)));
    }

    [Fact]
    public async Task Read_UnderARetryingExecutionStrategy_EntityQueriesAndProjectionsStayAttributed()
    {
        using var host = new CustomOptionsHost(Database, Retrying);
        var entities = await host.ReadAsync(db => db.Visits.AsNoTracking().Where(v => v.MemberId == ShapesHost.A).ToListAsync(), rows => Assert.Equal(2, rows.Count));
        var projected = await host.ReadAsync(db => db.Visits.Where(v => v.MemberId == ShapesHost.B).Select(v => new { v.Member!.Name, v.Text }).ToListAsync(), rows => Assert.Equal(2, rows.Count));
        var grouped = await host.ReadAsync(db => db.Visits.Where(v => v.MemberId != ShapesHost.A).GroupBy(v => v.MemberId).Select(g => new { g.Key, Total = g.Sum(v => v.Minutes) }).ToListAsync(), rows => Assert.Equal(2, rows.Count));

        Assert.Equal([("Visit", A)], Attributed(entities));
        Assert.Equal([("Member", B), ("Visit", B)], Attributed(projected));
        Assert.Equal([("Visit", B), ("Visit", C)], Attributed(grouped));
        Assert.Empty(Unattributed(entities.Concat(projected).Concat(grouped)));
    }

    [Fact]
    public async Task Read_NestedCollectionInASplitQueryProjection_RecordsTheRowsOfEachCommand()
    {
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => db.Members.Where(m => m.Id == ShapesHost.A).Select(m => new { m.Name, Texts = m.Visits.Select(v => v.Text).ToList() }).AsSplitQuery().ToListAsync(),
            rows => Assert.Equal(2, Assert.Single(rows).Texts.Count));

        Assert.Empty(Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Member", 1), (AuditAction.Read, "Member,Visit", 2)], Unattributed(reads).Order());
    }

    [Fact]
    public async Task Read_SplitQueryWithIncludeUnderARetryingStrategy_RecordsEachPatientOfBothEntities()
    {
        using var host = new CustomOptionsHost(Database, Retrying);
        var reads = await host.ReadAsync(db => db.Members.AsNoTracking().Include(m => m.Visits).AsSplitQuery().Where(m => m.Id != ShapesHost.C).ToListAsync(), rows => Assert.All(rows, r => Assert.Equal(2, r.Visits.Count)));

        Assert.Equal([("Member", A), ("Member", B), ("Visit", A), ("Visit", B)], Attributed(reads));
        Assert.Empty(Unattributed(reads));
    }

    private void Retrying(DbContextOptionsBuilder options)
    {
        if (IsSqlite)
        {
            options.UseSqlite(Database.ConnectionString, o => o.ExecutionStrategy(d => new RetryingSqliteStrategy(d)));
        }
        else
        {
            options.UseNpgsql(Database.ConnectionString, o => o.EnableRetryOnFailure());
        }
    }

    /// <summary>A retrying strategy for SQLite, which has none of its own: EF Core buffers every query under it.</summary>
    private sealed class RetryingSqliteStrategy(ExecutionStrategyDependencies dependencies) : ExecutionStrategy(dependencies, 3, TimeSpan.FromMilliseconds(10))
    {
        protected override bool ShouldRetryOn(Exception exception) => exception is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 5 };
    }
}

public sealed class SqliteBufferedReaderAttackTests() : BufferedReaderAttackTests("sqlite");

public sealed class PostgresBufferedReaderAttackTests() : BufferedReaderAttackTests("postgres");
