using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.Tests.Reading.RedTeam3;

/// <summary>
/// Helpers of the third red team's tests over <see cref="WardDb"/>: a fresh database per test seeded by an application
/// without enforcement (no single role may create every category), then read by an application with policy enforcement,
/// as billing or as a therapist treating the child only.
/// </summary>
public abstract class WardFixture : IDisposable
{
    protected static readonly Guid Child = Guid.Parse("0196b000-0000-7000-8000-0000000000c1");
    protected static readonly Guid Guardian = Guid.Parse("0196b000-0000-7000-8000-0000000000a1");

    protected WardFixture(string provider)
    {
        Provider = provider;
        Database = TestDatabase.Create(provider);
        using var seeding = new WardHost(Database, enforcement: null);
        using var scope = AccessContext.Begin(AccessContext.ForSystem("seed", PurposeOfUse.Operations));
        using var db = seeding.CreateContext();
        db.Database.EnsureCreated();
        db.Residents.Add(new Resident { Id = Guardian, Name = "Gail Guardian", Home = new Residence { Street = "9 Secret Lane" }, Contacts = [new Contact { Id = Guid.NewGuid(), Phone = "555-0101" }] });
        db.Intakes.Add(new Intake { Id = Guardian, Reason = "self-referral", Ssn = "078-05-1120" });
        db.Wards.Add(new Ward { Id = 1, Label = "North" });
        db.ProcessNotes.Add(new ProcessNote { Id = Guid.CreateVersion7(), ResidentId = Child, AuthorId = "u-ther-author", Text = "process canary" });
        db.Residents.Add(new Resident { Id = Child, Name = "Cody Child", GuardianId = Guardian, Home = new Residence { Street = "9 Secret Lane" } });
        foreach (var (patient, text) in new[] { (Child, "Cody reported anxiety"), (Guardian, "Gail disclosed an overdose") })
        {
            db.Bookings.Add(new Booking { Id = Guid.CreateVersion7(), ResidentId = patient, Room = "Room 2" });
            db.SessionNotes.Add(new SessionNote { Id = Guid.CreateVersion7(), ResidentId = patient, Text = text });
            db.Findings.Add(new Finding
            {
                Id = Guid.CreateVersion7(),
                ResidentId = patient,
                Code = "F32.1",
                CodeSystem = "ICD-10",
                Display = "Depressive episode",
                Narrative = "narrative canary of " + text,
                Detail = new FindingDetail { Comment = "comment canary of " + text },
            });
        }

        db.CaseNotes.Add(new CaseNote { Id = Guid.CreateVersion7(), Mrn = "mrn-1", Text = "mrn-1 disclosed an overdose" });
        db.CaseNotes.Add(new CaseNote { Id = Guid.CreateVersion7(), Mrn = "mrn-10", Text = "mrn-10 slept better" });
        db.SaveChanges();
    }

    protected string Provider { get; }

    protected bool IsSqlite => Provider == "sqlite";

    internal TestDatabase Database { get; }

    /// <summary>Billing (purpose payment): appointments and demographics of any patient, diagnoses masked to their codes, never progress notes.</summary>
    protected static AccessContext Billing => new(new Actor("u-bill-3", [WellKnownRoles.Billing], "practice"), PurposeOfUse.Payment);

    /// <summary>A therapist treating the child only (not the guardian).</summary>
    protected static AccessContext TherapistOfChild => new(new Actor("u-ther-3", [WellKnownRoles.Therapist], "practice", [Child.ToString()]), PurposeOfUse.Treatment);

    /// <summary>A therapist treating the patient with MRN "mrn-10" only.</summary>
    protected static AccessContext TherapistOfMrn10 => new(new Actor("u-ther-4", [WellKnownRoles.Therapist], "practice", ["mrn-10"]), PurposeOfUse.Treatment);

    public void Dispose()
    {
        Database.Dispose();
        GC.SuppressFinalize(this);
    }

    internal WardHost Enforcing(Action<PolicyEnforcementOptions>? configure = null) => new(Database, configure ?? (_ => { }));

    /// <summary>Runs <paramref name="query"/> on a fresh context under <paramref name="access"/> and returns the records it added.</summary>
    internal static async Task<List<AuditEntry>> ReadAsync<T>(WardHost host, AccessContext access, Func<WardDb, Task<T>> query, Action<T> check)
    {
        var before = host.Records().Count;
        using (AccessContext.Begin(access))
        await using (var context = host.CreateContext())
        {
            check(await query(context));
        }

        return [.. host.Records().Skip(before)];
    }
}

/// <summary>An application over <see cref="WardDb"/> with auditing and, unless <c>enforcement</c> is null, policy enforcement.</summary>
internal sealed class WardHost : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly TestDatabase _database;

    public WardHost(TestDatabase database, Action<PolicyEnforcementOptions>? enforcement, Action<IServiceCollection>? services = null, bool pooled = false)
    {
        _database = database;
        var collection = new ServiceCollection();
        services?.Invoke(collection);
        collection.AddHipaa()
            .AddQueryAuditing(o => o.SealInterval = TimeSpan.FromMinutes(10))
            .UseAuditStore(database.Use)
            .UseLocalDevelopmentCheckpointSigner(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath);
        if (enforcement is not null)
        {
            collection.AddHipaa().AddPolicyEnforcement(enforcement);
        }

        if (pooled)
        {
            collection.AddPooledDbContextFactory<WardDb>((sp, options) => database.Use(options.UseHipaa(sp)), poolSize: 1);
        }
        else
        {
            collection.AddDbContextFactory<WardDb>((sp, options) => database.Use(options.UseHipaa(sp)));
        }

        _services = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public IServiceProvider Services => _services;

    public WardDb CreateContext() => _services.GetRequiredService<IDbContextFactory<WardDb>>().CreateDbContext();

    public List<AuditEntry> Records() => _database.AuditRecords();

    public void Dispose() => _services.Dispose();
}
