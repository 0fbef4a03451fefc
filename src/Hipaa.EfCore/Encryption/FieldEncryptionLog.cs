using Microsoft.Extensions.Logging;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// The log events of field encryption in EF Core (category <c>Hipaa.EfCore.Encryption</c>, ids 1201–1299). They name
/// entities, tables, columns and counts, never a value.
/// </summary>
internal static partial class FieldEncryptionLog
{
    public const string Category = "Hipaa.EfCore.Encryption";

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "A LINQ query compares the encrypted property {Entity}.{Property} with a constant. EF Core writes every query expression it compiles, constants included, to its Debug log (event 10111) before Hipaa.Sdk sees it, so a constant search value can reach the logs in plaintext. Pass the value as a variable (var mrn = ...; Where(p => p.Mrn == mrn)): it is then a parameter, which EF Core does not print and Hipaa.Sdk hashes.")]
    public static partial void ConstantComparedWithEncryptedProperty(ILogger logger, string entity, string property);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Rewriting {Table} left {Count} row(s) as they were: they changed between the rewrite's read and its write, and a newer value is never overwritten. Run the operation again to re-check them.")]
    public static partial void RowsChangedDuringRewrite(ILogger logger, string table, long count);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "A search on the blind index {Table}.{Column} found a row whose decrypted value does not match what was searched: the index was moved to that row or altered, by someone with write access to the database. The query was refused (FieldDecryptionFailure.IndexMismatch).")]
    public static partial void BlindIndexMismatch(ILogger logger, string table, string column);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "A search on the blind index {Table}.{Column} found a row whose value was crypto-shredded. A shredded value matches no search, and a shred given the application's context clears its index: the index was left by a shred without the context (or a write racing it), or moved onto the row by someone with write access to the database. The query was refused (FieldDecryptionFailure.IndexMismatch).")]
    public static partial void ShreddedRowFoundByBlindIndex(ILogger logger, string table, string column);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Information, Message = "Cleared the blind index {Table}.{Column} of {Count} crypto-shredded value(s).")]
    public static partial void ShreddedBlindIndexesCleared(ILogger logger, string table, string column, int count);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Information, Message = "Compacted the key table {Table}: the wrapped keys erased by shreds are no longer in its files (WAL, archives and backups keep them for their own retention).")]
    public static partial void KeyTableCompacted(ILogger logger, string table);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Warning, Message = "The key table {Table} was not compacted ({Outcome}): {Count} transaction(s), slot(s) or lock holder(s) stood in the way. Wrapped keys erased by shreds may still be in its files; see the result's Blockers and call CompactKeyTableAsync again.")]
    public static partial void KeyTableNotCompacted(ILogger logger, string table, string outcome, int count);
}
