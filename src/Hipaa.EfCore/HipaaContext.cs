using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Hipaa.EfCore;

/// <summary>Finds the Hipaa.Sdk runtime a <see cref="DbContext"/> was configured with by <c>UseHipaa</c>.</summary>
internal static class HipaaContext
{
    public static FieldEncryptionRuntime? Encryption(DbContext context) => Find(context)?.Encryption;

    public static AuditRuntime? Audit(DbContext context) => Find(context)?.Audit;

    public static FieldEncryptionRuntime? Encryption(IDbContextOptions options) =>
        options.FindExtension<HipaaOptionsExtension>()?.Encryption;

    public static AuditRuntime? Audit(IDbContextOptions options) =>
        options.FindExtension<HipaaOptionsExtension>()?.Audit;

    /// <remarks>
    /// Read from the context's own options on every call, not remembered per context: a new context per request or query
    /// is the common case, and a ConditionalWeakTable entry per context costs more than this lookup (a GC handle each).
    /// </remarks>
    private static HipaaOptionsExtension? Find(DbContext context) =>
        context.GetService<IDbContextOptions>().FindExtension<HipaaOptionsExtension>();
}
