using System.Data.Common;
using Hipaa.EfCore.Auditing;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.Cli.Audit;

/// <summary>The audit store a command works on: a connection string and its provider.</summary>
internal static class AuditStoreConnection
{
    public const string Sqlite = "sqlite";

    public const string Postgres = "postgres";

    public static DbContextOptions<AuditDbContext> Options(string provider, string connectionString)
    {
        var builder = new DbContextOptionsBuilder<AuditDbContext>();
        _ = provider switch
        {
            Sqlite => builder.UseSqlite(connectionString),
            Postgres => builder.UseNpgsql(connectionString),
            _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "The provider is sqlite or postgres."),
        };
        return builder.Options;
    }

    /// <summary>Whether <paramref name="exception"/> means the store could not be reached or read, rather than a bug.</summary>
    public static bool IsStoreFailure(Exception exception) =>
        exception is DbException or DbUpdateException or TimeoutException
        || (exception is InvalidOperationException && exception.InnerException is DbException or TimeoutException)
        || (exception is ArgumentException && exception.Message.Contains("connection string", StringComparison.OrdinalIgnoreCase));

    public static int ReportStoreFailure(TextWriter error, string provider, Exception exception)
    {
        error.WriteLine($"Could not read the audit store ({provider}): {exception.GetBaseException().Message}");
        error.WriteLine("Check --connection and --provider, that the database is reachable, and that it holds the hipaa_audit tables.");
        return AuditExitCodes.StoreUnavailable;
    }
}
