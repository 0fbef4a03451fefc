using Hipaa.Auditing;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam3;

/// <summary>
/// Red team 3, hole 1: EF Core sets an owned entity's navigation after the owner's read hook has redacted the owner, so a
/// denied row came back with its owned address in full, and a masked row with its owned comment. Such rows are refused
/// now (recorded Denied), never returned with owned values the actor may not see; a row the actor may read keeps them.
/// </summary>
public abstract class OwnedValueRedactionAttackTests(string provider) : WardFixture(provider)
{
    [Fact]
    public async Task DeniedRowWithOwnedValues_IsRefusedNotReturnedWithThem()
    {
        using var host = Enforcing();
        var records = await ReadAsync(
            host,
            TherapistOfChild,
            db => Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.Residents.AsNoTracking().ToListAsync()),
            _ => { });

        Assert.Contains(records, r => r.PatientId == Guardian.ToString() && r.Outcome == AuditOutcome.Denied);
    }

    [Fact]
    public async Task MaskedRowWithOwnedValuesOutsideTheMask_IsRefused()
    {
        using var host = Enforcing();
        var records = await ReadAsync(
            host,
            Billing,
            db => Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.Findings.AsNoTracking().ToListAsync()),
            _ => { });

        Assert.Contains(records, r => r.Entity == "Finding" && r.Outcome == AuditOutcome.Denied);
        Assert.DoesNotContain(records, r => r.Entity == "Finding" && r.Outcome == AuditOutcome.Success);
    }

    [Fact]
    public async Task PermittedRowWithOwnedValues_KeepsThem()
    {
        using var host = Enforcing();
        Resident? child = null;
        await ReadAsync(host, TherapistOfChild, async db => child = await db.Residents.AsNoTracking().SingleAsync(r => r.Id == Child), _ => { });

        Assert.NotNull(child?.Home);
        Assert.NotEqual(string.Empty, child!.Home!.Street);
        Assert.NotEqual(string.Empty, child.Name);
    }
}

public sealed class SqliteOwnedValueRedactionAttackTests() : OwnedValueRedactionAttackTests("sqlite");

public sealed class PostgresOwnedValueRedactionAttackTests() : OwnedValueRedactionAttackTests("postgres");
