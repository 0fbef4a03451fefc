using Hipaa.EfCore.Encryption;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers field encryption: <c>services.AddHipaa().AddFieldEncryption().UseLocalDevelopmentKey(path).UseKeyStore(o =&gt; o.UseSqlite(cs))</c>.</summary>
public static class FieldEncryptionHipaaBuilderExtensions
{
    /// <summary>Adds field encryption with default options (per-patient keys, 5-minute key cache).</summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder AddFieldEncryption(this IHipaaBuilder builder) => AddFieldEncryption(builder, static _ => { });

    /// <summary>Adds field encryption, configured by <paramref name="configure"/>.</summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="configure">Sets <see cref="FieldEncryptionOptions"/>.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder AddFieldEncryption(this IHipaaBuilder builder, Action<FieldEncryptionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(builder.Services).Configure(configure);
        return builder;
    }

    /// <summary>Adds field encryption, bound to a configuration section (e.g. <c>Hipaa:FieldEncryption</c>).</summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="configuration">The section holding <see cref="FieldEncryptionOptions"/>.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder AddFieldEncryption(this IHipaaBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        AddCore(builder.Services).Bind(configuration);
        return builder;
    }

    /// <summary>
    /// Uses a key-encryption key from a KMS or HSM (Azure Key Vault through Hipaa.Azure, PKCS#11 through Hipaa.Pkcs11, or
    /// your own <see cref="IKeyEncryptionKey"/>).
    /// </summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="factory">Creates the KEK (once, as a singleton).</param>
    /// <param name="keyWrapAlgorithm">What to ask the KEK for: <see cref="KeyWrapAlgorithm.AesKeyWrap256"/> for PKCS#11 and managed HSM, <see cref="KeyWrapAlgorithm.RsaOaep256"/> for Key Vault RSA keys.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder UseKeyEncryptionKey(this IHipaaBuilder builder, Func<IServiceProvider, IKeyEncryptionKey> factory, string keyWrapAlgorithm)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyWrapAlgorithm);
        builder.Services.RemoveAll<KeyEncryptionKeyRegistration>();
        builder.Services.AddSingleton(sp => new KeyEncryptionKeyRegistration(
            factory(sp) ?? throw new InvalidOperationException("The key-encryption key factory returned null."), keyWrapAlgorithm));
        return builder;
    }

    /// <summary>
    /// Resolves key-encryption keys by id for keys wrapped by an earlier KEK (after a rotation). Azure Key Vault's
    /// <c>KeyResolver</c> plugs in through Hipaa.Azure.
    /// </summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="factory">Creates the resolver (once, as a singleton).</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder UseKeyEncryptionKeyResolver(this IHipaaBuilder builder, Func<IServiceProvider, IKeyEncryptionKeyResolver> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.RemoveAll<IKeyEncryptionKeyResolver>();
        builder.Services.AddSingleton(factory);
        return builder;
    }

    /// <summary>
    /// DEVELOPMENT ONLY: uses a key-encryption key kept in a local file (created on first run, owner-only permissions).
    /// Anyone who can read the file and the database can read the PHI; use a KMS or HSM in production. A host whose
    /// environment is Production refuses to start with it (see <see cref="Hipaa.LocalDevelopmentKeyOptions"/>).
    /// </summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="path">The key file.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder UseLocalDevelopmentKey(this IHipaaBuilder builder, string path) =>
        UseLocalDevelopmentKey(builder, path, static _ => { });

    /// <inheritdoc cref="UseLocalDevelopmentKey(IHipaaBuilder, string)"/>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="path">The key file.</param>
    /// <param name="configure">Sets <see cref="Hipaa.LocalDevelopmentKeyOptions"/>, e.g. the insecure <see cref="Hipaa.LocalDevelopmentKeyOptions.DangerouslyAllowInProduction"/>.</param>
    public static IHipaaBuilder UseLocalDevelopmentKey(this IHipaaBuilder builder, string path, Action<Hipaa.LocalDevelopmentKeyOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new Hipaa.LocalDevelopmentKeyOptions();
        configure(options);
        return builder.UseKeyEncryptionKey(
            sp =>
            {
                DevelopmentKeyGuard.ThrowIfProduction(sp, options, "UseLocalDevelopmentKey(path)", "UseKeyEncryptionKey(...) with a KMS or HSM key (docs/key-providers.md)");
                return LocalDevelopmentKeyEncryptionKey.OpenOrCreate(path, sp.GetService<ILoggerFactory>()?.CreateLogger<LocalDevelopmentKeyEncryptionKey>());
            },
            KeyWrapAlgorithm.AesGcmKeyWrap256);
    }

    /// <summary>Names the database of the key table (<c>hipaa_keys</c>), created there on first use if missing.</summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="configure">Configures the provider, e.g. <c>o =&gt; o.UseSqlite(cs)</c> or <c>o =&gt; o.UseNpgsql(cs)</c>.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder UseKeyStore(this IHipaaBuilder builder, Action<DbContextOptionsBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return builder.UseKeyStore((_, options) => configure(options));
    }

    /// <inheritdoc cref="UseKeyStore(IHipaaBuilder, Action{DbContextOptionsBuilder})"/>
    public static IHipaaBuilder UseKeyStore(this IHipaaBuilder builder, Action<IServiceProvider, DbContextOptionsBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.RemoveAll<KeyStoreRegistration>();
        builder.Services.AddSingleton(new KeyStoreRegistration(configure));
        return builder;
    }

    private static OptionsBuilder<FieldEncryptionOptions> AddCore(IServiceCollection services)
    {
        // From now on, a context of this process that maps PHI without UseHipaa(sp) is refused (docs/audit.md).
        Hipaa.EfCore.HipaaModelGuard.Enable();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FieldEncryptionOptions>, FieldEncryptionOptionsValidator>());
        services.TryAddSingleton(CreateRuntime);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, Hipaa.EfCore.Diagnostics.HipaaStartupValidator>());
        services.TryAddSingleton(sp => new FieldEncryptionKeyManager(sp.GetRequiredService<FieldEncryptionRuntime>(), sp.GetRequiredService<TimeProvider>()));
        return services.AddOptions<FieldEncryptionOptions>().ValidateOnStart();
    }

    private static FieldEncryptionRuntime CreateRuntime(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<FieldEncryptionOptions>>().Value;
        var kek = services.GetService<KeyEncryptionKeyRegistration>()
            ?? throw new InvalidOperationException(
                "Field encryption needs a key-encryption key: call UseKeyEncryptionKey(...) with a KMS or HSM key (see docs/key-providers.md), or UseLocalDevelopmentKey(path) for development.");
        var keyStore = services.GetService<KeyStoreRegistration>()
            ?? throw new InvalidOperationException(
                "Field encryption needs a key store: call UseKeyStore(o => o.UseSqlite(cs)) (or UseNpgsql, …) to name the database that holds the wrapped keys.");
        var keyStoreOptions = new DbContextOptionsBuilder<KeyStoreDbContext>();
        keyStore.Configure(services, keyStoreOptions);
        if (!keyStoreOptions.IsConfigured)
        {
            throw new InvalidOperationException("UseKeyStore(...) configured no database provider; call UseSqlite, UseNpgsql or UseSqlServer inside it.");
        }

        Hipaa.EfCore.Storage.Dialects.DatabaseDialect.RequireSupported(keyStoreOptions.Options, "The key store (UseKeyStore)");

        var loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var keyRing = new KeyRing(
            new EfDataKeyStore(keyStoreOptions.Options),
            kek.Key,
            services.GetService<IKeyEncryptionKeyResolver>(),
            new KeyRingSettings
            {
                CacheLifetime = options.KeyCacheLifetime,
                KeyStateRecheckInterval = options.KeyStateRecheckInterval < options.KeyCacheLifetime ? options.KeyStateRecheckInterval : options.KeyCacheLifetime,
                CacheCapacity = options.KeyCacheCapacity,
                KeyWrapAlgorithm = kek.KeyWrapAlgorithm,
                RootKeyPin = options.RootKeyPin,
            },
            services.GetRequiredService<TimeProvider>(),
            loggerFactory.CreateLogger("Hipaa.Encryption.KeyRing"));
        return new FieldEncryptionRuntime(keyRing, options, loggerFactory.CreateLogger(FieldEncryptionLog.Category), keyStoreOptions.Options);
    }
}
