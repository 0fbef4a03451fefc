using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Encryption;
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

    public void Validate(IDbContextOptions options)
    {
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
