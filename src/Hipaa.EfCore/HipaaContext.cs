using System.Runtime.CompilerServices;
using Hipaa.EfCore.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Hipaa.EfCore;

/// <summary>Finds the Hipaa.Sdk runtime a <see cref="DbContext"/> was configured with by <c>UseHipaa</c>.</summary>
internal static class HipaaContext
{
    private static readonly ConditionalWeakTable<DbContext, StrongBox<FieldEncryptionRuntime?>> Runtimes = [];

    public static FieldEncryptionRuntime? Encryption(DbContext context) =>
        Runtimes.GetValue(context, static c => new StrongBox<FieldEncryptionRuntime?>(
            c.GetService<IDbContextOptions>().FindExtension<HipaaOptionsExtension>()?.Encryption)).Value;

    public static FieldEncryptionRuntime? Encryption(IDbContextOptions options) =>
        options.FindExtension<HipaaOptionsExtension>()?.Encryption;
}
