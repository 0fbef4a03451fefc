using Hipaa.EfCore.Auditing;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.Tests.Infrastructure;

/// <summary>
/// An application with field encryption and auditing over a test database for any context type, configured like
/// <see cref="AuditHost"/>; <c>before</c> and <c>after</c> add the application's own options (proxies, …) before or after
/// <c>UseHipaa</c>.
/// </summary>
internal sealed class ModelHost<TContext> : IDisposable
    where TContext : DbContext
{
    private static readonly CountingKeyEncryptionKey Kek = new("kek-model");
    private readonly ServiceProvider _services;
    private readonly TestDatabase _database;

    public ModelHost(TestDatabase database, Action<DbContextOptionsBuilder>? before = null, Action<DbContextOptionsBuilder>? after = null)
    {
        _database = database;
        var services = new ServiceCollection();
        services.AddHipaa()
            .AddFieldEncryption(o => o.KeyScope = KeyScope.Patient)
            .UseKeyEncryptionKey(_ => Kek, KeyWrapAlgorithm.AesGcmKeyWrap256)
            .UseKeyStore(database.UseForKeys)
            .AddQueryAuditing(o => o.SealInterval = TimeSpan.FromMinutes(10))
            .UseAuditStore(database.Use)
            .UseLocalDevelopmentCheckpointSigner(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath);
        services.AddDbContextFactory<TContext>((sp, options) =>
        {
            before?.Invoke(options);
            database.Use(options.UseHipaa(sp));
            after?.Invoke(options);
        });
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        try
        {
            using var context = CreateContext();
            context.Database.EnsureCreated();
        }
        catch
        {
            _services.Dispose();
            throw;
        }
    }

    public IServiceProvider Services => _services;

    public TContext CreateContext() => _services.GetRequiredService<IDbContextFactory<TContext>>().CreateDbContext();

    /// <summary>Every audit row, oldest first, read straight from the table.</summary>
    public List<AuditEntry> Records() => _database.AuditRecords();

    public void Dispose() => _services.Dispose();
}
