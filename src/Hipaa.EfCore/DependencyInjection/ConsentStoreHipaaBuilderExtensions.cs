using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Policy;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Keeps patients' consents and authorizations in a database through EF Core, encrypted under field encryption's key ring:
/// <c>services.AddHipaa().AddFieldEncryption()…UseConsentStore(o =&gt; o.UseSqlite(cs))</c> registers the
/// <see cref="IConsentStore"/> that the PHI authorization hands to the policy engine.
/// </summary>
public static class ConsentStoreHipaaBuilderExtensions
{
    /// <summary>
    /// Names the database of the consent tables (<c>hipaa_consents</c>, <c>hipaa_consent_history</c>), created there on
    /// first use if missing, and registers the EF-backed <see cref="IConsentStore"/> in place of any other. Consents are
    /// encrypted under each patient's data key, so field encryption must be added too (<c>AddFieldEncryption()</c> with a
    /// key-encryption key and a key store); tables of an earlier version, in plaintext, are refused unless
    /// <see cref="ConsentStoreOptions.EncryptPlaintextTablesOfAnEarlierVersion"/> is set, and then encrypted on first use.
    /// Nothing is ever deleted: a revocation is a new history row, and the current state keeps its past in the history.
    /// </summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="configure">Configures the provider, e.g. <c>o =&gt; o.UseSqlite(cs)</c> or <c>o =&gt; o.UseNpgsql(cs)</c>.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder UseConsentStore(this IHipaaBuilder builder, Action<DbContextOptionsBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return builder.UseConsentStore((_, options) => configure(options));
    }

    /// <inheritdoc cref="UseConsentStore(IHipaaBuilder, Action{DbContextOptionsBuilder})"/>
    public static IHipaaBuilder UseConsentStore(this IHipaaBuilder builder, Action<IServiceProvider, DbContextOptionsBuilder> configure) =>
        builder.UseConsentStore(configure, static _ => { });

    /// <inheritdoc cref="UseConsentStore(IHipaaBuilder, Action{DbContextOptionsBuilder})"/>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="configure">Configures the provider, e.g. <c>o =&gt; o.UseSqlite(cs)</c> or <c>o =&gt; o.UseNpgsql(cs)</c>.</param>
    /// <param name="options">
    /// Sets the store's options, e.g. <see cref="ConsentStoreOptions.EncryptPlaintextTablesOfAnEarlierVersion"/> for the
    /// start that upgrades a deployment whose consents an earlier version stored in plaintext.
    /// </param>
    public static IHipaaBuilder UseConsentStore(this IHipaaBuilder builder, Action<DbContextOptionsBuilder> configure, Action<ConsentStoreOptions> options)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return builder.UseConsentStore((_, o) => configure(o), options);
    }

    /// <inheritdoc cref="UseConsentStore(IHipaaBuilder, Action{DbContextOptionsBuilder}, Action{ConsentStoreOptions})"/>
    public static IHipaaBuilder UseConsentStore(this IHipaaBuilder builder, Action<IServiceProvider, DbContextOptionsBuilder> configure, Action<ConsentStoreOptions> options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(options);
        var storeOptions = new ConsentStoreOptions();
        options(storeOptions);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.RemoveAll<ConsentStoreRegistration>();
        builder.Services.AddSingleton(new ConsentStoreRegistration(configure, storeOptions));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, Hipaa.EfCore.Diagnostics.HipaaStartupValidator>());
        builder.Services.RemoveAll<IConsentStore>();
        builder.Services.AddSingleton<IConsentStore>(CreateStore);
        return builder;
    }

    private static EfConsentStore CreateStore(IServiceProvider services)
    {
        ConsentStoreRegistration registration = services.GetRequiredService<ConsentStoreRegistration>();
        var options = new DbContextOptionsBuilder<ConsentStoreDbContext>();
        registration.Configure(services, options);
        if (!options.IsConfigured)
        {
            throw new InvalidOperationException("UseConsentStore(...) configured no database provider; call UseSqlite, UseNpgsql or UseSqlServer inside it.");
        }

        Hipaa.EfCore.Storage.Dialects.DatabaseDialect.RequireSupported(options.Options, "The consent store (UseConsentStore)");

        FieldEncryptionRuntime encryption = services.GetService<FieldEncryptionRuntime>()
            ?? throw new InvalidOperationException(
                "UseConsentStore(...) encrypts consents under field encryption's key ring, and field encryption is not added: call AddFieldEncryption() with UseKeyEncryptionKey(...) (or UseLocalDevelopmentKey(path)) and UseKeyStore(...) on the same builder (docs/aspnetcore.md, \"The consent store\").");
        ILogger logger = services.GetService<ILoggerFactory>()?.CreateLogger(ConsentStoreLog.Category) ?? NullLogger.Instance;
        return new EfConsentStore(options.Options, new ConsentCipher(encryption.KeyRing), services.GetRequiredService<TimeProvider>(), logger)
        {
            EncryptPlaintextTables = registration.Options.EncryptPlaintextTablesOfAnEarlierVersion,
        };
    }
}
