using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Auditing.Integrity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers access auditing: <c>services.AddHipaa().AddQueryAuditing().UseAuditStore(o =&gt; o.UseNpgsql(cs))</c>, and
/// <c>UseHipaa(sp)</c> on the context. Every read and write of a <see cref="Hipaa.PhiAttribute"/> entity is then recorded.
/// </summary>
public static class QueryAuditingHipaaBuilderExtensions
{
    /// <summary>Adds access auditing with default options (fail closed, group commit, seal every second).</summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder AddQueryAuditing(this IHipaaBuilder builder) => AddQueryAuditing(builder, static _ => { });

    /// <summary>Adds access auditing configured by <paramref name="configure"/>.</summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="configure">Sets <see cref="QueryAuditingOptions"/>.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder AddQueryAuditing(this IHipaaBuilder builder, Action<QueryAuditingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(builder.Services).Configure(configure);
        return builder;
    }

    /// <summary>Adds access auditing bound to a configuration section.</summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="configuration">The section holding <see cref="QueryAuditingOptions"/>.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder AddQueryAuditing(this IHipaaBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        AddCore(builder.Services).Bind(configuration);
        return builder;
    }

    /// <summary>
    /// Names the database of the audit tables — the application's own database: writes are audited in their own
    /// transaction there, and reads are appended there through a separate connection (group commit).
    /// </summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="configure">Configures the provider, e.g. <c>o =&gt; o.UseNpgsql(cs)</c> with the application's connection string.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder UseAuditStore(this IHipaaBuilder builder, Action<DbContextOptionsBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return builder.UseAuditStore((_, options) => configure(options));
    }

    /// <inheritdoc cref="UseAuditStore(IHipaaBuilder, Action{DbContextOptionsBuilder})"/>
    public static IHipaaBuilder UseAuditStore(this IHipaaBuilder builder, Action<IServiceProvider, DbContextOptionsBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.RemoveAll<AuditStoreRegistration>();
        builder.Services.AddSingleton(new AuditStoreRegistration(configure));
        return builder;
    }

    /// <summary>
    /// Signs the checkpoints of the audit chain with <paramref name="factory"/>'s key (an HSM or KMS signing key in
    /// production). Export its public key so verification can run outside the database (docs/audit.md, "Checkpoints").
    /// </summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="factory">Creates the signer (once, as a singleton).</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder UseAuditCheckpointSigner(this IHipaaBuilder builder, Func<IServiceProvider, IAuditCheckpointSigner> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.RemoveAll<IAuditCheckpointSigner>();
        builder.Services.AddSingleton(factory);
        return builder;
    }

    /// <summary>
    /// DEVELOPMENT ONLY: signs audit checkpoints with an ECDSA P-256 key kept in a local file (created on first run,
    /// owner-only). Anyone who can read the file can forge checkpoints; use an HSM or KMS key in production. A host whose
    /// environment is Production refuses to start with it (see <see cref="Hipaa.LocalDevelopmentKeyOptions"/>).
    /// </summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="path">The key file (PEM).</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder UseLocalDevelopmentCheckpointSigner(this IHipaaBuilder builder, string path) =>
        UseLocalDevelopmentCheckpointSigner(builder, path, static _ => { });

    /// <inheritdoc cref="UseLocalDevelopmentCheckpointSigner(IHipaaBuilder, string)"/>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="path">The key file (PEM).</param>
    /// <param name="configure">Sets <see cref="Hipaa.LocalDevelopmentKeyOptions"/>, e.g. the insecure <see cref="Hipaa.LocalDevelopmentKeyOptions.DangerouslyAllowInProduction"/>.</param>
    public static IHipaaBuilder UseLocalDevelopmentCheckpointSigner(this IHipaaBuilder builder, string path, Action<Hipaa.LocalDevelopmentKeyOptions> configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new Hipaa.LocalDevelopmentKeyOptions();
        configure(options);
        return builder.UseAuditCheckpointSigner(sp =>
        {
            DevelopmentKeyGuard.ThrowIfProduction(sp, options, "UseLocalDevelopmentCheckpointSigner(path)", "UseAuditCheckpointSigner(...) with an HSM or KMS signing key");
            return LocalDevelopmentCheckpointSigner.OpenOrCreate(path, sp.GetService<ILoggerFactory>()?.CreateLogger<LocalDevelopmentCheckpointSigner>());
        });
    }

    private static OptionsBuilder<QueryAuditingOptions> AddCore(IServiceCollection services)
    {
        // From now on, a context of this process that maps PHI without UseHipaa(sp) is refused (docs/audit.md).
        Hipaa.EfCore.HipaaModelGuard.Enable();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QueryAuditingOptions>, QueryAuditingOptionsValidator>());
        services.TryAddSingleton(CreateRuntime);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, Hipaa.EfCore.Diagnostics.HipaaStartupValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, AuditSealingHostedService>());
        services.TryAddSingleton<IAuditSink>(sp => new EfAuditSink(sp.GetRequiredService<AuditRuntime>()));
        services.TryAddSingleton(sp => new Hipaa.EfCore.Auditing.Reports.AuditReports(sp.GetRequiredService<AuditRuntime>().StoreOptions, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new PhiDisclosures(
            sp.GetRequiredService<AuditRuntime>(),
            sp.GetService<Hipaa.Policy.PolicyEngine>() ?? Hipaa.Policy.PolicyEngine.Default,
            sp.GetService<Hipaa.Policy.IConsentStore>(),
            sp.GetRequiredService<TimeProvider>()));
        return services.AddOptions<QueryAuditingOptions>().ValidateOnStart();
    }

    private static AuditRuntime CreateRuntime(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<QueryAuditingOptions>>().Value;
        var store = services.GetService<AuditStoreRegistration>()
            ?? throw new InvalidOperationException(
                "Access auditing needs an audit store: call UseAuditStore(o => o.UseSqlite(cs)) (or UseNpgsql, …) with the application's database.");
        var storeOptions = new DbContextOptionsBuilder<AuditDbContext>();
        store.Configure(services, storeOptions);
        if (!storeOptions.IsConfigured)
        {
            throw new InvalidOperationException("UseAuditStore(...) configured no database provider; call UseSqlite, UseNpgsql or UseSqlServer inside it.");
        }

        Hipaa.EfCore.Storage.Dialects.DatabaseDialect.RequireSupported(storeOptions.Options, "The audit store (UseAuditStore)");

        var loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var signer = services.GetService<IAuditCheckpointSigner>()
            ?? throw new InvalidOperationException(
                "Access auditing needs a checkpoint signer to make the audit chain tamper-evident: call UseAuditCheckpointSigner(...) with an HSM or KMS signing key, or UseLocalDevelopmentCheckpointSigner(path) for development.");
        var time = services.GetRequiredService<TimeProvider>();
        var enforcement = services.GetService<Hipaa.EfCore.Enforcement.PolicyEnforcementRuntime>();
        var sealing = new AuditSealingLoop(
            new AuditSealer(storeOptions.Options, signer, time, loggerFactory.CreateLogger<AuditSealer>()),
            options.SealInterval,
            time,
            loggerFactory.CreateLogger("Hipaa.Auditing.Sealing"));
        sealing.Start();
        return new AuditRuntime(
            options,
            storeOptions.Options,
            new AuditWriter(storeOptions.Options, options.MaxBatchSize),
            services.GetRequiredService<TimeProvider>(),
            loggerFactory.CreateLogger("Hipaa.Auditing"),
            enforcement,
            sealing);
    }
}
