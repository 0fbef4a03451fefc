using Hipaa.Auditing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.LoadDriver;

/// <summary>One application instance wired with auditing over a SQLite or PostgreSQL database.</summary>
public sealed class LoadHost : IDisposable
{
    /// <summary>
    /// The development checkpoint-signing key every test host and driver process shares: instances sealing one chain must
    /// sign with one key (the sealer checks that the newest checkpoint is its own signer's).
    /// </summary>
    public static string SignerPath { get; } = Path.Combine(Path.GetTempPath(), "hipaa-tests", "checkpoint-signer.pem");

    private readonly ServiceProvider _services;

    public LoadHost(string provider, string connectionString, Action<QueryAuditingOptions>? configure = null)
    {
        void Use(DbContextOptionsBuilder options)
        {
            _ = provider switch
            {
                "sqlite" => options.UseSqlite(connectionString),
                "postgres" => options.UseNpgsql(connectionString),
                _ => throw new ArgumentException($"Unknown provider '{provider}'; use sqlite or postgres.", nameof(provider)),
            };
        }

        var services = new ServiceCollection();
        services.AddHipaa().AddQueryAuditing(configure ?? (_ => { })).UseAuditStore(Use).UseLocalDevelopmentCheckpointSigner(SignerPath);
        services.AddDbContextFactory<LoadDb>((sp, options) => Use(options.UseHipaa(sp)));
        _services = services.BuildServiceProvider();
    }

    public LoadDb CreateContext() => _services.GetRequiredService<IDbContextFactory<LoadDb>>().CreateDbContext();

    public void Dispose() => _services.Dispose();
}
