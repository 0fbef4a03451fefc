using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.Encryption;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.Tests.Infrastructure;

/// <summary>An application with auditing (and field encryption) over a test database, plus direct access to the audit rows.</summary>
internal sealed class AuditHost : IDisposable
{
    /// <summary>One KEK for every host, so hosts over the same database can read each other's keys.</summary>
    private static readonly CountingKeyEncryptionKey Kek = new("kek-audit");
    private readonly ServiceProvider _services;
    private readonly TestDatabase _database;

    public AuditHost(
        TestDatabase database,
        Action<QueryAuditingOptions>? configure = null,
        Action<DbContextOptionsBuilder>? auditStore = null,
        Action<PolicyEnforcementOptions>? enforcement = null,
        Microsoft.Extensions.Configuration.IConfiguration? policyConfiguration = null,
        Action<FieldEncryptionOptions>? encryption = null,
        Action<IServiceCollection>? services = null)
    {
        _database = database;
        var collection = new ServiceCollection();
        services?.Invoke(collection);
        collection.AddHipaa()
            .AddFieldEncryption(o =>
            {
                o.KeyScope = KeyScope.Patient;
                encryption?.Invoke(o);
            })
            .UseKeyEncryptionKey(_ => Kek, KeyWrapAlgorithm.AesGcmKeyWrap256)
            .UseKeyStore(database.UseForKeys)
            .AddQueryAuditing(o =>
            {
                o.SealInterval = TimeSpan.FromMinutes(10); // tests seal explicitly (Seal()) so that they see unsealed rows
                configure?.Invoke(o);
            })
            .UseAuditStore(auditStore ?? database.Use)
            .UseLocalDevelopmentCheckpointSigner(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath);
        if (enforcement is not null)
        {
            collection.AddHipaa().AddPolicyEnforcement(enforcement);
        }

        if (policyConfiguration is not null)
        {
            collection.AddHipaa().AddPolicyEnforcement(policyConfiguration);
        }

        collection.AddDbContextFactory<ClinicDb>((sp, options) => database.Use(options.UseHipaa(sp)));
        _services = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        using var context = CreateContext();
        context.Database.EnsureCreated();
    }

    public static AccessContext Therapist(string id = "u-ther-1", params string[] careTeamOf) =>
        new(new Actor(id, [WellKnownRoles.Therapist], "practice", careTeamOf), PurposeOfUse.Treatment) { ClientAddress = "10.1.2.3", RequestId = "req-" + id, ClientApplication = "ehr-web" };

    public static AccessContext As(string id, string role, PurposeOfUse purpose, params string[] careTeamOf) =>
        new(new Actor(id, [role], "practice", careTeamOf), purpose);

    /// <summary>Gets the application's service provider.</summary>
    public IServiceProvider Services => _services;

    /// <summary>Gets the application's audit runtime (its writer counts the transactions it committed).</summary>
    public AuditRuntime Runtime => _services.GetRequiredService<AuditRuntime>();

    /// <summary>Gets the application's key operations.</summary>
    public Hipaa.EfCore.Encryption.FieldEncryptionKeyManager Keys => _services.GetRequiredService<Hipaa.EfCore.Encryption.FieldEncryptionKeyManager>();

    public ClinicDb CreateContext() => _services.GetRequiredService<IDbContextFactory<ClinicDb>>().CreateDbContext();

    /// <summary>Every audit row, oldest first, read straight from the table.</summary>
    public List<AuditEntry> Records() => _database.AuditRecords();

    public void Dispose() => _services.Dispose();
}
