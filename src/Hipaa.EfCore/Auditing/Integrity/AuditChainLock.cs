using System.Globalization;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>
/// The cluster-wide lock that lets one transaction at a time extend or cut the chain (sealing, purging), whatever the number
/// of application instances: on PostgreSQL a transaction-scoped advisory lock, on SQLite the database write lock that
/// Microsoft.Data.Sqlite takes when a transaction begins (<c>BEGIN IMMEDIATE</c>).
/// </summary>
internal static class AuditChainLock
{
    /// <summary>The key of the PostgreSQL advisory lock: "hipaaud1" in ASCII, read as a big-endian 64-bit integer.</summary>
    public const long PostgresAdvisoryLockKey = 0x6869_7061_6175_6431;

    private const string NpgsqlProvider = "Npgsql.EntityFrameworkCore.PostgreSQL";
    private const string SqliteProvider = "Microsoft.EntityFrameworkCore.Sqlite";

    /// <summary>Whether <paramref name="context"/> works on SQLite.</summary>
    /// <param name="context">The context.</param>
    /// <returns><see langword="true"/> for the SQLite provider.</returns>
    public static bool IsSqlite(AuditDbContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Database.ProviderName == SqliteProvider;
    }

    /// <summary>
    /// Takes the lock inside the current transaction of <paramref name="context"/>; it is released when the transaction ends.
    /// </summary>
    /// <param name="context">A context with a transaction begun by <c>Database.BeginTransactionAsync</c>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the lock is held.</returns>
    /// <exception cref="InvalidOperationException">No transaction is active, or the database provider is not supported.</exception>
    public static async Task AcquireAsync(AuditDbContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("The audit chain lock is transaction-scoped: begin a transaction first.");
        }

        switch (context.Database.ProviderName)
        {
            case NpgsqlProvider:
                await context.Database.ExecuteSqlRawAsync(
                    string.Create(CultureInfo.InvariantCulture, $"SELECT pg_advisory_xact_lock({PostgresAdvisoryLockKey})"),
                    cancellationToken).ConfigureAwait(false);
                break;
            case SqliteProvider:
                // Microsoft.Data.Sqlite begins every transaction that is not ReadUncommitted with BEGIN IMMEDIATE: the
                // transaction already holds the database's RESERVED (write) lock, so no other connection can write until it ends.
                break;
            default:
                throw new InvalidOperationException(string.Format(
                    CultureInfo.InvariantCulture,
                    "The audit store's database provider '{0}' is not supported for sealing the audit chain; use PostgreSQL (Npgsql) "
                        + "or SQLite.",
                    context.Database.ProviderName));
        }
    }
}
