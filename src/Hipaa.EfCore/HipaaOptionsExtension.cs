using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Materialization;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hipaa.EfCore;

/// <summary>
/// EF Core's record that <c>UseHipaa</c> was called, carrying the application's field-encryption runtime. EF's
/// internal services do not depend on the runtime instance (so applications and tests share one internal service
/// provider); the model is cached per runtime by <see cref="HipaaModelCacheKeyFactory"/>.
/// </summary>
internal sealed class HipaaOptionsExtension(FieldEncryptionRuntime? encryption, AuditRuntime? audit) : IDbContextOptionsExtension
{
    private ExtensionInfo? _info;

    public FieldEncryptionRuntime? Encryption { get; } = encryption;

    public AuditRuntime? Audit { get; } = audit;

    public DbContextOptionsExtensionInfo Info => _info ??= new ExtensionInfo(this);

    public void ApplyServices(IServiceCollection services)
    {
        // Here rather than in AddInterceptors: EF Core runs instantiation binding interceptors in the order their
        // services were added, which is the order of the options extensions, and this one must run after any that
        // replaces how an entity is created (lazy-loading proxies), wrapping the proxy's creation (see Validate).
        services.AddSingleton<ISingletonInterceptor>(EntityReadBindingInterceptor.Instance);
        services.AddScoped<IConventionSetPlugin, FieldEncryptionConventionSetPlugin>();
        services.Replace(ServiceDescriptor.Singleton<IModelCacheKeyFactory, HipaaModelCacheKeyFactory>());
        services.Replace(ServiceDescriptor.Scoped<IModelCustomizer, HipaaModelCustomizer>());

        // The read path's per-context state, reset with a pooled context; Find behind the one-actor rule; transactions
        // that re-append the read records written inside them when disposed without commit (SQLite and PostgreSQL use
        // EF's own RelationalTransactionFactory, which this one extends; a provider with a factory of its own would lose it).
        services.AddScoped<Reading.ReadSession>();
        services.AddScoped<IResettableService>(provider => provider.GetRequiredService<Reading.ReadSession>());
#pragma warning disable EF1001 // DbSet.Find has no public seam; see AdmittingEntityFinderSource.
        services.Replace(ServiceDescriptor.Singleton<Microsoft.EntityFrameworkCore.Internal.IEntityFinderSource, Reading.AdmittingEntityFinderSource>());

        // Read-ahead batches: one audit commit per batch of results, before any of them is returned (ReadAuditCommit.PerBatch).
        services.Replace(ServiceDescriptor.Scoped<Microsoft.EntityFrameworkCore.Query.Internal.IQueryCompiler, Reading.ReadAheadQueryCompiler>());
#pragma warning restore EF1001
        services.Replace(ServiceDescriptor.Singleton<Microsoft.EntityFrameworkCore.Storage.IRelationalTransactionFactory, Reading.ReadRecordsSurvivingTransactionFactory>());
    }

    /// <summary>
    /// Refuses a database provider the SDK has no dialect for (<see cref="Storage.Dialects.DatabaseDialect"/>: SQLite,
    /// PostgreSQL, SQL Server), and options where an extension added after <c>UseHipaa</c> registers an instantiation
    /// binding interceptor (<c>UseLazyLoadingProxies()</c>, <c>UseChangeTrackingProxies()</c>): it would run after the
    /// SDK's and replace its binding, so entities would be created without being decrypted or their reads audited.
    /// </summary>
    public void Validate(IDbContextOptions options)
    {
        Storage.Dialects.DatabaseDialect.RequireSupported(options, "This context (UseHipaa)");

        var afterThis = false;
        foreach (var extension in options.Extensions)
        {
            if (ReferenceEquals(extension, this) || extension is HipaaOptionsExtension)
            {
                afterThis = true;
                continue;
            }

            if (afterThis && !extension.Info.IsDatabaseProvider && RegistersInstantiationBindingInterceptor(extension))
            {
                throw new InvalidOperationException(
                    $"The options of this context add {extension.GetType().Name} ({extension.Info.LogFragment.Trim()}) after UseHipaa(sp). It changes how EF Core creates entities, and Hipaa.Sdk decrypts and audits each entity as it is created, so it must be configured first: call UseLazyLoadingProxies() (or UseChangeTrackingProxies(), or AddInterceptors with an instantiation binding interceptor) before UseHipaa(sp), e.g. o.UseNpgsql(cs).UseLazyLoadingProxies().UseHipaa(sp).");
            }
        }
    }

    private static bool RegistersInstantiationBindingInterceptor(IDbContextOptionsExtension extension)
    {
        var services = new ServiceCollection();
        extension.ApplyServices(services);
        return services.Any(d => d.ServiceType == typeof(ISingletonInterceptor)
            && (d.ImplementationType ?? d.ImplementationInstance?.GetType()) is { } type
            && typeof(IInstantiationBindingInterceptor).IsAssignableFrom(type));
    }

    private sealed class ExtensionInfo(HipaaOptionsExtension extension) : DbContextOptionsExtensionInfo(extension)
    {
        private new HipaaOptionsExtension Extension => (HipaaOptionsExtension)base.Extension;

        public override bool IsDatabaseProvider => false;

        public override string LogFragment =>
            $"UseHipaa({(Extension.Encryption is null ? string.Empty : "FieldEncryption")}{(Extension.Audit is null ? string.Empty : " Auditing")}) ";

        public override int GetServiceProviderHashCode() => 0x48495041;

        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other) => other is ExtensionInfo;

        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo)
        {
            debugInfo["Hipaa:FieldEncryption"] = Extension.Encryption is null ? "0" : "1";
            debugInfo["Hipaa:Auditing"] = Extension.Audit is null ? "0" : "1";
        }
    }
}
