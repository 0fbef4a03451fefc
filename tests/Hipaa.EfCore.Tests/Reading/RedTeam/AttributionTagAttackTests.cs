using Hipaa.Auditing;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam;

/// <summary>
/// The SQL of an attributed query carries the SDK's per-process tag (an SQL comment), which tells the command interceptor
/// not to record its rows again. The tag is visible to the application — <c>ToQueryString()</c> prints it — so SQL or a
/// <c>TagWith</c> copied from such a query must not make an unattributed read look attributed.
/// </summary>
public abstract class AttributionTagAttackTests(string provider) : RedTeamFixture(provider)
{
    [Fact]
    public async Task SqlQueryRaw_OfTheSqlOfAnAttributedQuery_IsNotTakenAsAttributed()
    {
        using var host = new ShapesHost(Database);
        string sql;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            sql = context.Visits.Select(v => new { v.Text }).ToQueryString();
        }

        var reads = await ReadAsync(host, db => Assert.ThrowsAsync<InvalidOperationException>(() => db.Database.SqlQueryRaw<VisitRow>(sql).ToListAsync()), failure => Assert.Contains("attribution tag", failure.Message, StringComparison.Ordinal));
        var entities = await ReadAsync(host, db => Assert.ThrowsAsync<InvalidOperationException>(() => db.Clinics.FromSqlRaw(sql.Replace("\"v\".\"Text\"", "1 AS \"Id\", \"v\".\"Text\" AS \"Name\"", StringComparison.Ordinal)).ToListAsync()), failure => Assert.Contains("attribution tag", failure.Message, StringComparison.Ordinal));

        Assert.Empty(reads.Concat(entities));
    }

    [Fact]
    public async Task TagWithTheAttributionTag_OnAnUnattributedQuery_IsNotTakenAsAttributed()
    {
        using var host = new ShapesHost(Database);
        string tag;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            tag = context.Visits.Select(v => v.Text).ToQueryString().Split('\n')[0].TrimStart('-', ' ').Trim();
        }

        Assert.StartsWith("hipaa-attributed-", tag, StringComparison.Ordinal);
        var reads = await ReadAsync(host, db => Assert.ThrowsAsync<InvalidOperationException>(() => db.Visits.Where(v => v.Text.Contains("anxiety")).Select(v => 1).TagWith(tag).ToListAsync()), failure => Assert.Contains("attribution tag", failure.Message, StringComparison.Ordinal));

        Assert.Empty(reads);
    }

    [Fact]
    public async Task AConstantCarryingTheAttributionTag_DoesNotMakeAnUnattributedQueryLookAttributed()
    {
        using var host = new ShapesHost(Database);
        string tag;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            tag = context.Visits.Select(v => v.Text).ToQueryString().Split('\n')[0].TrimStart('-', ' ').Trim();
        }

        var reads = await ReadAsync(host, db => db.Visits.Where(v => v.Text != EF.Constant(tag) && v.Text.Contains("anxiety")).Select(v => 1).ToListAsync(), rows => Assert.Equal(3, rows.Count));

        Assert.Empty(Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Visit", 3)], Unattributed(reads));
    }

    public sealed class VisitRow
    {
        public string Text { get; set; } = string.Empty;
    }
}

public sealed class SqliteAttributionTagAttackTests() : AttributionTagAttackTests("sqlite");

public sealed class PostgresAttributionTagAttackTests() : AttributionTagAttackTests("postgres");
