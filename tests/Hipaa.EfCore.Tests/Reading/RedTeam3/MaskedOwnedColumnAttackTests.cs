using Hipaa.Auditing;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam3;

/// <summary>
/// Billing's permit for diagnoses carries a field mask (codes only), so a read whose values SQL computes is refused when
/// its command names a masked column. The columns of an owned type kept in the diagnosis' table (<c>Detail_Comment</c>)
/// were not counted: billing computed over the masked comment.
/// </summary>
public abstract class MaskedOwnedColumnAttackTests(string provider) : WardFixture(provider)
{
    [Fact]
    public async Task ProjectionKeptInSql_OfAMaskedOwnedValue_IsRefusedForBilling()
    {
        using var host = Enforcing();
        List<string>? comments = null;
        var reads = await ReadAsync(
            host,
            Billing,
            db => Assert.ThrowsAsync<PhiAccessDeniedException>(async () => comments = await db.Findings.Select(f => f.Detail!.Comment).Distinct().ToListAsync()),
            _ => { });

        Assert.Null(comments);
        var denial = Assert.Single(reads);
        Assert.Equal((AuditOutcome.Denied, "Detail"), (denial.Outcome, denial.RedactedFields));
    }

    [Fact]
    public async Task SqlQuery_OfAMaskedOwnedColumn_IsRefusedForBilling()
    {
        using var host = Enforcing();
        var sql = IsSqlite ? "SELECT Detail_Comment AS Value FROM Findings" : "SELECT \"Detail_Comment\" AS \"Value\" FROM \"Findings\"";
        var reads = await ReadAsync(host, Billing, db => Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.Database.SqlQueryRaw<string>(sql).ToListAsync()), _ => { });

        Assert.Equal(AuditOutcome.Denied, Assert.Single(reads).Outcome);
    }

    [Fact]
    public async Task ProjectionKeptInSql_OfAVisibleCode_StillRunsForBilling()
    {
        using var host = Enforcing();
        var reads = await ReadAsync(host, Billing, db => db.Findings.Select(f => f.Display).Distinct().ToListAsync(), displays => Assert.Equal(["Depressive episode"], displays));

        Assert.Equal(AuditOutcome.Success, Assert.Single(reads).Outcome);
    }
}

public sealed class SqliteMaskedOwnedColumnAttackTests() : MaskedOwnedColumnAttackTests("sqlite");

public sealed class PostgresMaskedOwnedColumnAttackTests() : MaskedOwnedColumnAttackTests("postgres");
