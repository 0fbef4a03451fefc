using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
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

    private static OptionsBuilder<QueryAuditingOptions> AddCore(IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QueryAuditingOptions>, QueryAuditingOptionsValidator>());
        services.TryAddSingleton(CreateRuntime);
        services.TryAddSingleton<IAuditSink>(sp => new EfAuditSink(sp.GetRequiredService<AuditRuntime>()));
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
            throw new InvalidOperationException("UseAuditStore(...) configured no database provider; call UseSqlite, UseNpgsql or another provider inside it.");
        }

        var loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        return new AuditRuntime(
            options,
            new AuditWriter(storeOptions.Options, options.MaxBatchSize),
            services.GetRequiredService<TimeProvider>(),
            loggerFactory.CreateLogger("Hipaa.Auditing"),
            services.GetService<Hipaa.EfCore.Enforcement.PolicyEnforcementRuntime>());
    }
}
