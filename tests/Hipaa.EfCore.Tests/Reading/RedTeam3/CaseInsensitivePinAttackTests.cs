using Hipaa.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.Tests.Reading.RedTeam3;

/// <summary>A progress note keyed by an MRN whose column compares without case (SQLite <c>NOCASE</c>).</summary>
[Phi("ProgressNote")]
public sealed class TriageNote
{
    public Guid Id { get; set; }

    [PatientId]
    public string Mrn { get; set; } = string.Empty;

    public string Text { get; set; } = string.Empty;
}

public sealed class TriageDb(DbContextOptions<TriageDb> options) : DbContext(options)
{
    public DbSet<TriageNote> TriageNotes => Set<TriageNote>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<TriageNote>().Property(n => n.Mrn).UseCollation("NOCASE");
}

/// <summary>
/// An aggregate pinned by <c>Mrn == "mrn-a"</c> was decided for mrn-a alone, but a column that compares without case
/// (a collation, <c>citext</c>, SQL Server's defaults) also reads <c>MRN-A</c>'s rows — another patient to the policy, which
/// compares ids ordinally. Such a predicate no longer pins (SQLite only: PostgreSQL has no <c>NOCASE</c>).
/// </summary>
public sealed class SqliteCaseInsensitivePinAttackTests : IDisposable
{
    private readonly TestDatabase _database = TestDatabase.Create("sqlite");

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task PinnedAggregate_OnACaseInsensitivePatientIdColumn_IsNotDecidedForTheSpellingGivenAlone()
    {
        using (var seeding = Host(enforce: false))
        using (AccessContext.Begin(AccessContext.ForSystem("seed", PurposeOfUse.Operations)))
        await using (var db = seeding.GetRequiredService<IDbContextFactory<TriageDb>>().CreateDbContext())
        {
            db.Database.EnsureCreated();
            db.TriageNotes.Add(new TriageNote { Id = Guid.NewGuid(), Mrn = "MRN-A", Text = "MRN-A disclosed an overdose" });
            db.TriageNotes.Add(new TriageNote { Id = Guid.NewGuid(), Mrn = "mrn-a", Text = "mrn-a slept better" });
            await db.SaveChangesAsync();
        }

        using var host = Host(enforce: true);
        var therapist = new AccessContext(new Actor("u-ther-5", [WellKnownRoles.Therapist], "practice", ["mrn-a"]), PurposeOfUse.Treatment);
        var mine = "mrn-a";
        int? count = null;
        using (AccessContext.Begin(therapist))
        await using (var db = host.GetRequiredService<IDbContextFactory<TriageDb>>().CreateDbContext())
        {
            try
            {
                count = await db.TriageNotes.CountAsync(n => n.Mrn == mine && n.Text.Contains("overdose"));
            }
            catch (PhiAccessDeniedException)
            {
                // refused: decided for any patient
            }
        }

        Assert.Null(count); // MRN-A's note mentions the overdose; the therapist treats mrn-a only
    }

    private ServiceProvider Host(bool enforce)
    {
        var services = new ServiceCollection();
        services.AddHipaa()
            .AddQueryAuditing(o => o.SealInterval = TimeSpan.FromMinutes(10))
            .UseAuditStore(_database.Use)
            .UseLocalDevelopmentCheckpointSigner(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath);
        if (enforce)
        {
            services.AddHipaa().AddPolicyEnforcement(_ => { });
        }

        services.AddDbContextFactory<TriageDb>((sp, options) => _database.Use(options.UseHipaa(sp)));
        return services.BuildServiceProvider();
    }
}
