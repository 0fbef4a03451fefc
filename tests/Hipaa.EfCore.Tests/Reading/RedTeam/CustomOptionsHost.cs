using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.Tests.Reading.RedTeam;

/// <summary>
/// An application over the database <see cref="ShapesHost"/> seeded, whose <see cref="ShapesDb"/> options the test
/// configures itself (an execution strategy, extra interceptors, a provider option), as a real application would.
/// </summary>
internal sealed class CustomOptionsHost : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly TestDatabase _database;

    public CustomOptionsHost(TestDatabase database, Action<DbContextOptionsBuilder> configureContext, Action<QueryAuditingOptions>? configure = null, Action<Hipaa.Policy.PolicyEnforcementOptions>? enforcement = null)
    {
        _database = database;
        using (new ShapesHost(database))
        {
            // seeds the three members and their visits
        }

        var services = new ServiceCollection();
        services.AddHipaa()
            .AddQueryAuditing(o =>
            {
                o.SealInterval = TimeSpan.FromMinutes(10);
                configure?.Invoke(o);
            })
            .UseAuditStore(database.Use)
            .UseLocalDevelopmentCheckpointSigner(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath);
        if (enforcement is not null)
        {
            services.AddHipaa().AddPolicyEnforcement(enforcement);
        }

        services.AddDbContextFactory<ShapesDb>((sp, options) => configureContext(options.UseHipaa(sp)));
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public ShapesDb CreateContext() => _services.GetRequiredService<IDbContextFactory<ShapesDb>>().CreateDbContext();

    public List<AuditEntry> Records() => _database.AuditRecords();

    public void Dispose() => _services.Dispose();

    /// <summary>Runs <paramref name="query"/> on a fresh context under the therapist and returns the records it added.</summary>
    public async Task<List<AuditEntry>> ReadAsync<T>(Func<ShapesDb, Task<T>> query, Action<T> check, AccessContext? access = null)
    {
        var before = Records().Count;
        using (AccessContext.Begin(access ?? ShapesHost.Therapist()))
        await using (var context = CreateContext())
        {
            check(await query(context));
        }

        return [.. Records().Skip(before)];
    }
}
