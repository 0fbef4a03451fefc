using System.Runtime.CompilerServices;
using Hipaa.EfCore.Encryption;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore;

/// <summary>
/// EF Core's record that <c>UseHipaa</c> was called: carries the application's field-encryption runtime into EF's
/// internal services (for the model convention). One internal service provider per application, not per context.
/// </summary>
internal sealed class HipaaOptionsExtension(FieldEncryptionRuntime? encryption) : IDbContextOptionsExtension
{
    private ExtensionInfo? _info;

    public FieldEncryptionRuntime? Encryption { get; } = encryption;

    public DbContextOptionsExtensionInfo Info => _info ??= new ExtensionInfo(this);

    public void ApplyServices(IServiceCollection services)
    {
        if (Encryption is not null)
        {
            services.AddSingleton(Encryption);
            services.AddScoped<IConventionSetPlugin, FieldEncryptionConventionSetPlugin>();
        }
    }

    public void Validate(IDbContextOptions options)
    {
    }

    private sealed class ExtensionInfo(HipaaOptionsExtension extension) : DbContextOptionsExtensionInfo(extension)
    {
        private new HipaaOptionsExtension Extension => (HipaaOptionsExtension)base.Extension;

        public override bool IsDatabaseProvider => false;

        public override string LogFragment => Extension.Encryption is null ? "UseHipaa " : "UseHipaa(FieldEncryption) ";

        public override int GetServiceProviderHashCode() => Extension.Encryption is null ? 0 : RuntimeHelpers.GetHashCode(Extension.Encryption);

        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other) =>
            other is ExtensionInfo info && ReferenceEquals(info.Extension.Encryption, Extension.Encryption);

        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo) =>
            debugInfo["Hipaa:FieldEncryption"] = GetServiceProviderHashCode().ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
