using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// Lets the writes of this process to one SQLite audit store — the group-commit writer's inserts, the sealer's sealing
/// transaction — take turns in the process instead of in SQLite. When they collide in SQLite, the one that loses gets
/// SQLITE_BUSY or, on a shared-cache in-memory database, SQLITE_LOCKED, which no busy timeout covers: Microsoft.Data.Sqlite
/// then retries after sleeping 150 ms, and every read waiting for that commit waits those 150 ms too (measured: about one
/// such stall per sealing round with 8 concurrent audited readers). Writers in other processes, and the application's own
/// transactions, are still serialized by SQLite itself. One gate per store (connection string, or connection object).
/// </summary>
internal static class AuditStoreWriteGate
{
    private static readonly ConcurrentDictionary<object, SemaphoreSlim> Gates = new();

    /// <summary>The gate of the store <paramref name="options"/> name.</summary>
    public static SemaphoreSlim For(DbContextOptions options)
    {
        var relational = RelationalOptionsExtension.Extract(options);
        object key = relational.ConnectionString ?? (object?)relational.Connection ?? relational;
        return Gates.GetOrAdd(key, static _ => new SemaphoreSlim(1, 1));
    }
}
