using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore;

/// <summary>EF Core's record that <c>DangerouslyAllowPhiWithoutHipaa()</c> was called: <see cref="HipaaModelGuard"/> lets the context through.</summary>
internal sealed class UnguardedPhiOptionsExtension : IDbContextOptionsExtension
{
    private ExtensionInfo? _info;

    public DbContextOptionsExtensionInfo Info => _info ??= new ExtensionInfo(this);

    public void ApplyServices(IServiceCollection services)
    {
    }

    public void Validate(IDbContextOptions options)
    {
    }

    private sealed class ExtensionInfo(UnguardedPhiOptionsExtension extension) : DbContextOptionsExtensionInfo(extension)
    {
        public override bool IsDatabaseProvider => false;

        public override string LogFragment => "DangerouslyAllowPhiWithoutHipaa ";

        public override int GetServiceProviderHashCode() => 0x554E4755;

        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other) => other is ExtensionInfo;

        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo) => debugInfo["Hipaa:DangerouslyAllowPhiWithoutHipaa"] = "1";
    }
}
