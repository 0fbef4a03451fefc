using Hipaa.Auditing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.Tests.Reading.RedTeam;

/// <summary>A reporting context without <c>UseHipaa</c>: no [Phi] type in its model, but a plain type on the visits' table.</summary>
public sealed class ReportingDb(DbContextOptions<ReportingDb> options) : DbContext(options)
{
    public DbSet<VisitText> VisitTexts => Set<VisitText>();

    public DbSet<Clinic> Clinics => Set<Clinic>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.Entity<VisitText>().HasNoKey().ToView("Visits");
}

/// <summary>A context without <c>UseHipaa</c> and without any PHI in its model, which only runs SQL.</summary>
public sealed class PlainSqlDb(DbContextOptions<PlainSqlDb> options) : DbContext(options);

/// <summary>
/// Known hole 4 of the first red team, closed: in a process that registered the SDK, a context without <c>UseHipaa</c> is
/// refused not only when its model has a [Phi] type, but when it maps any type onto a PHI table of the process, or sends
/// SQL that names one — whatever type it reads the rows into. Nothing is read.
/// </summary>
public abstract class UnguardedContextAttackTests(string provider) : RedTeamFixture(provider)
{
    [Fact]
    public async Task Read_ThroughAContextWithoutUseHipaaThatMapsAPlainTypeOntoAPhiTable_IsRefused()
    {
        using var host = new ShapesHost(Database); // used once: its PHI tables are known to the process
        await using var provider = Plain<ReportingDb>();
        var before = host.Records().Count;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        using (var scope = provider.CreateScope())
        {
            var context = scope.ServiceProvider.GetRequiredService<ReportingDb>();
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => context.VisitTexts.ToListAsync());
            Assert.Contains("UseHipaa(sp)", refused.Message, StringComparison.Ordinal);
            Assert.Contains("Visits", refused.Message, StringComparison.Ordinal);
        }

        Assert.Equal(before, host.Records().Count);
    }

    [Fact]
    public async Task SqlQueryRaw_ThroughAContextWithoutUseHipaaOrPhiInItsModel_NamingAPhiTable_IsRefused()
    {
        using var host = new ShapesHost(Database);
        await using var provider = Plain<PlainSqlDb>();
        using var scope = provider.CreateScope();
        var context = scope.ServiceProvider.GetRequiredService<PlainSqlDb>();
        var sql = IsSqlite ? "SELECT Text AS Value FROM Visits" : "SELECT \"Text\" AS \"Value\" FROM \"Visits\"";

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => context.Database.SqlQueryRaw<string>(sql).ToListAsync());
        Assert.Contains("PHI table", refused.Message, StringComparison.Ordinal);
        var written = Assert.Throws<InvalidOperationException>(() => context.Database.ExecuteSqlRaw(IsSqlite ? "UPDATE Visits SET Text = 'x'" : "UPDATE \"Visits\" SET \"Text\" = 'x'"));
        Assert.Contains("UseHipaa(sp)", written.Message, StringComparison.Ordinal);
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var db = host.CreateContext())
        {
            Assert.DoesNotContain("x", await db.Visits.Select(v => v.Text).ToListAsync());
        }
    }

    [Fact]
    public async Task SqlQueryRaw_ThroughAContextWithoutUseHipaa_NamingOnlyOtherTables_Works()
    {
        using var host = new ShapesHost(Database);
        await using var provider = Plain<PlainSqlDb>();
        using var scope = provider.CreateScope();
        var context = scope.ServiceProvider.GetRequiredService<PlainSqlDb>();
        var sql = IsSqlite ? "SELECT Name AS Value FROM Clinics" : "SELECT \"Name\" AS \"Value\" FROM \"Clinics\"";

        Assert.Equal(["North"], await context.Database.SqlQueryRaw<string>(sql).ToListAsync());
    }

    private ServiceProvider Plain<TContext>()
        where TContext : DbContext
    {
        var services = new ServiceCollection();
        services.AddDbContext<TContext>(o => Database.Use(o));
        return services.BuildServiceProvider();
    }
}

public sealed class SqliteUnguardedContextAttackTests() : UnguardedContextAttackTests("sqlite");

public sealed class PostgresUnguardedContextAttackTests() : UnguardedContextAttackTests("postgres");
