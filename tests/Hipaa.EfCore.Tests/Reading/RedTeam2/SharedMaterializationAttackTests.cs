using Hipaa.EfCore.Tests.Reading.RedTeam;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam2;

/// <summary>
/// Projections where one materialization per source (SharedMaterialization) could attribute or disclose differently from
/// the query the application wrote: a navigation only compared with null, two sources of one type, self joins.
/// </summary>
public abstract class SharedMaterializationAttackTests(string provider) : RedTeamFixture(provider)
{
    [Fact]
    public async Task Read_ProjectionThatOnlyTestsANavigationForNull_DoesNotRecordAReadOfTheEntityItLeadsTo()
    {
        // v.Member != null is a key comparison EF Core runs in SQL: no value of the member is returned. Hoisted into the
        // shared projector as a value, the member was materialized on the client — and recorded as read, its fields disclosed.
        using var host = new ShapesHost(Database);
        var reads = await ReadAsync(
            host,
            db => db.Visits.AsNoTracking().Where(v => v.MemberId == ShapesHost.A).Select(v => new { v.Minutes, HasMember = v.Member != null }).ToListAsync(),
            rows => Assert.All(rows, r => Assert.True(r.HasMember)));

        Assert.Equal([("Visit", A)], Attributed(reads));
    }
}

public sealed class SqliteSharedMaterializationAttackTests() : SharedMaterializationAttackTests("sqlite");

public sealed class PostgresSharedMaterializationAttackTests() : SharedMaterializationAttackTests("postgres");
