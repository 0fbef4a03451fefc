using Hipaa.Auditing;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam3;

/// <summary>
/// Billing's permit for diagnoses is masked to their codes, and a read whose values SQL computes is refused when its
/// command names a masked column or <c>*</c>. PostgreSQL hands out a whole row as one value without naming a column —
/// <c>SELECT f::text FROM "Findings" f</c>, <c>to_jsonb(f)</c> — and billing got every narrative that way.
/// (SQLite has no whole-row values.)
/// </summary>
public sealed class PostgresWholeRowAttackTests() : WardFixture("postgres")
{
    [Theory]
    [InlineData("SELECT f::text AS \"Value\" FROM \"Findings\" f")]
    [InlineData("SELECT to_jsonb(f)::text AS \"Value\" FROM \"Findings\" AS f")]
    [InlineData("SELECT \"Findings\"::text AS \"Value\" FROM public.\"Findings\"")]
    [InlineData("SELECT row_to_json(x)::text AS \"Value\" FROM \"Findings\" x WHERE x.\"Code\" = 'F32.1'")]
    public async Task SqlQuery_OfWholeRowsOfAMaskedEntity_IsRefusedForBilling(string sql)
    {
        using var host = Enforcing();
        List<string>? rows = null;
        var reads = await ReadAsync(host, Billing, db => Assert.ThrowsAsync<PhiAccessDeniedException>(async () => rows = await db.Database.SqlQueryRaw<string>(sql).ToListAsync()), _ => { });

        Assert.Null(rows);
        Assert.Equal(AuditOutcome.Denied, Assert.Single(reads).Outcome);
    }

    [Fact]
    public async Task SqlQuery_OfVisibleColumnsThroughAnAlias_StillRunsForBilling()
    {
        using var host = Enforcing();
        var reads = await ReadAsync(
            host,
            Billing,
            db => db.Database.SqlQueryRaw<string>("SELECT f.\"Display\" AS \"Value\" FROM \"Findings\" AS f WHERE f.\"Code\" = 'F32.1'").ToListAsync(),
            rows => Assert.Equal(2, rows.Count));

        Assert.Equal(AuditOutcome.Success, Assert.Single(reads).Outcome);
    }
}
