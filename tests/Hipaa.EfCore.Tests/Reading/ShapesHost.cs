using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.Tests.Reading;

/// <summary>An application that audits <see cref="ShapesDb"/> (auditing alone, or with policy enforcement), seeded with three members.</summary>
internal sealed class ShapesHost : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly TestDatabase _database;

    public ShapesHost(
        TestDatabase database,
        Action<QueryAuditingOptions>? configure = null,
        bool enforcePolicy = false,
        Action<DbContextOptionsBuilder>? auditStore = null,
        Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor? interceptor = null)
    {
        _database = database;
        if (enforcePolicy)
        {
            // The seed is written by an application without enforcement (no single role may create every category).
            using var seeding = new ShapesHost(database);
        }

        var services = new ServiceCollection();
        services.AddHipaa()
            .AddQueryAuditing(o =>
            {
                o.SealInterval = TimeSpan.FromMinutes(10);
                configure?.Invoke(o);
            })
            .UseAuditStore(auditStore ?? database.Use)
            .UseLocalDevelopmentCheckpointSigner(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath);
        if (enforcePolicy)
        {
            services.AddHipaa().AddPolicyEnforcement(_ => { });
        }

        services.AddDbContextFactory<ShapesDb>((sp, options) =>
        {
            database.Use(options.UseHipaa(sp));
            if (interceptor is not null)
            {
                options.AddInterceptors(interceptor);
            }
        });
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        using var context = CreateContext();
        if (!context.Database.EnsureCreated())
        {
            return;
        }

        using (AccessContext.Begin(Therapist()))
        {
            context.Members.AddRange(
                New(A, "Ada", "1 Elm St"),
                New(B, "Bea", "2 Oak St"),
                New(C, "Cy", null));
            context.Clinics.Add(new Clinic { Id = 1, Name = "North" });
            context.SaveChanges();
        }
    }

    public static Guid A { get; } = Guid.Parse("0196a000-0000-7000-8000-00000000000a");

    public static Guid B { get; } = Guid.Parse("0196a000-0000-7000-8000-00000000000b");

    public static Guid C { get; } = Guid.Parse("0196a000-0000-7000-8000-00000000000c");

    public static AccessContext Therapist(string id = "u-ther-1") =>
        new(new Hipaa.Policy.Actor(id, [Hipaa.Policy.WellKnownRoles.Therapist], "practice", [A.ToString(), B.ToString(), C.ToString()]), Hipaa.Policy.PurposeOfUse.Treatment);

    /// <summary>Gets the application's audit runtime (its writer counts the transactions it committed).</summary>
    public AuditRuntime Runtime => _services.GetRequiredService<AuditRuntime>();

    public IServiceProvider Services => _services;

    public ShapesDb CreateContext() => _services.GetRequiredService<IDbContextFactory<ShapesDb>>().CreateDbContext();

    /// <summary>Every audit row, oldest first.</summary>
    public List<AuditEntry> Records() => _database.AuditRecords();

    public void Dispose() => _services.Dispose();

    private static Member New(Guid id, string name, string? street) => new()
    {
        Id = id,
        Name = name,
        BirthYear = 1980,
        Home = street is null ? null : new Address { Street = street, City = "Springfield" },
        Visits =
        [
            new Visit { Id = Guid.CreateVersion7(), MemberId = id, Text = name + " reported anxiety", Minutes = 50 },
            new Visit { Id = Guid.CreateVersion7(), MemberId = id, Text = name + " slept better", Minutes = 30 },
        ],
    };
}
