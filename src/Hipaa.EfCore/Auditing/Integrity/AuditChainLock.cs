using Hipaa.EfCore.Storage.Dialects;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>
/// The cluster-wide lock that lets one transaction at a time extend or cut the chain (sealing, purging), whatever the number
/// of application instances: on PostgreSQL a transaction-scoped advisory lock, on SQLite the database write lock that
/// Microsoft.Data.Sqlite takes when a transaction begins (<c>BEGIN IMMEDIATE</c>), on SQL Server an application lock owned
/// by the transaction (<c>sp_getapplock</c>): the statement is the dialect's (<see cref="DatabaseDialect.ChainLockStatement"/>).
/// </summary>
internal static class AuditChainLock
{
    /// <summary>The key of the PostgreSQL advisory lock: "hipaaud1" in ASCII, read as a big-endian 64-bit integer.</summary>
    public const long PostgresAdvisoryLockKey = PostgreSqlDialect.AdvisoryLockKey;

    /// <summary>Whether <paramref name="context"/>'s database has one write lock for the whole database (SQLite).</summary>
    /// <param name="context">The context.</param>
    /// <returns><see langword="true"/> for SQLite.</returns>
    public static bool HasDatabaseWriteLock(AuditDbContext context) => DatabaseDialect.Find(context) is { HasDatabaseWriteLock: true };

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

        // SQLite: Microsoft.Data.Sqlite begins every transaction that is not ReadUncommitted with BEGIN IMMEDIATE: the
        // transaction already holds the database's RESERVED (write) lock, so no other connection can write until it ends.
        var dialect = DatabaseDialect.Find(context)
            ?? throw new InvalidOperationException(
                $"The audit store's database provider '{context.Database.ProviderName}' is not supported for sealing the audit chain; use one of: {DatabaseDialect.SupportedProviders}.");
        if (dialect.ChainLockStatement is { } statement)
        {
            await context.Database.ExecuteSqlRawAsync(statement, cancellationToken).ConfigureAwait(false);
        }
    }
}
