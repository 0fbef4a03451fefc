using System.Runtime.CompilerServices;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Hipaa.EfCore;

/// <summary>Finds the Hipaa.Sdk runtime a <see cref="DbContext"/> was configured with by <c>UseHipaa</c>.</summary>
internal static class HipaaContext
{
    private static readonly ConditionalWeakTable<DbContext, Runtimes> ByContext = [];

    public static FieldEncryptionRuntime? Encryption(DbContext context) => Find(context).Encryption;

    public static AuditRuntime? Audit(DbContext context) => Find(context).Audit;

    public static FieldEncryptionRuntime? Encryption(IDbContextOptions options) =>
        options.FindExtension<HipaaOptionsExtension>()?.Encryption;

    public static AuditRuntime? Audit(IDbContextOptions options) =>
        options.FindExtension<HipaaOptionsExtension>()?.Audit;

    private static Runtimes Find(DbContext context) =>
        ByContext.GetValue(context, static c =>
        {
            var extension = c.GetService<IDbContextOptions>().FindExtension<HipaaOptionsExtension>();
            return new Runtimes(extension?.Encryption, extension?.Audit);
        });

    private sealed record Runtimes(FieldEncryptionRuntime? Encryption, AuditRuntime? Audit);
}
