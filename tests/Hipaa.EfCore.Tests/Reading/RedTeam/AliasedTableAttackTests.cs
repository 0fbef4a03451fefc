using Hipaa.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.Tests.Reading.RedTeam;

/// <summary>A type without [Phi] mapped onto a PHI table, as a reporting view or a read model would be.</summary>
public sealed class VisitText
{
    public Guid MemberId { get; set; }

    public string Text { get; set; } = string.Empty;
}

/// <summary><see cref="ShapesDb"/>'s entities, plus <see cref="VisitText"/> mapped (keyless) onto the visits' table.</summary>
public sealed class AliasedDb(DbContextOptions<AliasedDb> options) : DbContext(options)
{
    public DbSet<Member> Members => Set<Member>();

    public DbSet<Visit> Visits => Set<Visit>();

    public DbSet<VisitText> VisitTexts => Set<VisitText>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Member>().OwnsOne(m => m.Home);
        modelBuilder.Entity<VisitText>().HasNoKey().ToView("Visits");
    }
}

/// <summary>
/// An entity type without [Phi] that reads a PHI table (a keyless type mapped to it as a view): its rows are PHI that no
/// read hook sees, so its reads must be recorded from the SQL's tables like any other read not attributed to an entity.
/// </summary>
public abstract class AliasedTableAttackTests(string provider) : RedTeamFixture(provider)
{
    [Fact]
    public async Task Read_OfANonPhiTypeMappedOntoAPhiTable_IsRecordedWithItsRows()
    {
        using (new ShapesHost(Database))
        {
            // seeds the members and visits
        }

        var services = new ServiceCollection();
        services.AddHipaa().AddQueryAuditing(o => o.SealInterval = TimeSpan.FromMinutes(10)).UseAuditStore(Database.Use)
            .UseLocalDevelopmentCheckpointSigner(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath);
        services.AddDbContextFactory<AliasedDb>((sp, options) => Database.Use(options.UseHipaa(sp)));
        await using var provider = services.BuildServiceProvider();
        var before = Database.AuditRecords().Count;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = provider.GetRequiredService<IDbContextFactory<AliasedDb>>().CreateDbContext())
        {
            Assert.Equal(6, (await context.VisitTexts.ToListAsync()).Count);
            Assert.Equal(2, (await context.VisitTexts.Where(v => v.MemberId == ShapesHost.A).Select(v => v.Text).ToListAsync()).Count);
            var joined = await (from v in context.Visits.Where(v => v.MemberId == ShapesHost.A)
                                from t in context.VisitTexts.Where(t => t.MemberId == ShapesHost.C)
                                select new { v.Minutes, t.Text }).ToListAsync();
            Assert.Equal(4, joined.Count);
        }

        var reads = Database.AuditRecords().Skip(before).ToList();
        Assert.Equal([("Visit", A)], Attributed(reads));
        Assert.Equal([(AuditAction.Read, "Visit", 6), (AuditAction.Read, "Visit", 2), (AuditAction.Read, "Visit", 4)], Unattributed(reads));
    }
}

public sealed class SqliteAliasedTableAttackTests() : AliasedTableAttackTests("sqlite");

public sealed class PostgresAliasedTableAttackTests() : AliasedTableAttackTests("postgres");
