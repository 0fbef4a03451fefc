namespace Hipaa.EfCore.Encryption;

/// <summary>What <see cref="FieldEncryptionKeyManager.CompactKeyTableAsync"/> did to the key table's files.</summary>
public enum KeyTableCompactionOutcome
{
    /// <summary>
    /// The key table was rewritten with no transaction open that could still see a row version erased by a shred: the
    /// erased wrapped keys are no longer in the table's current files (PostgreSQL: <c>VACUUM FULL</c>; SQLite:
    /// <c>VACUUM</c> of the key store's database, and its write-ahead log truncated). WAL segments, archives, backups and
    /// replicas are not touched (docs/encryption.md, "Physical erasure").
    /// </summary>
    Compacted = 0,

    /// <summary>
    /// Nothing was rewritten: transactions older than the newest shred are still open (listed in
    /// <see cref="KeyTableCompaction.Blockers"/>), and a rewrite would have had to keep the erased row versions they can
    /// still see. End them (or wait longer) and call again.
    /// </summary>
    BlockedByOlderTransactions = 1,

    /// <summary>
    /// The rewrite could not lock the key table within its lock timeout, because sessions hold locks on it (listed in
    /// <see cref="KeyTableCompaction.Blockers"/> where the database can say). Nothing was rewritten; call again.
    /// </summary>
    LockNotAcquired = 2,

    /// <summary>The key store's database is neither PostgreSQL nor SQLite, or the key store is not the EF key store: nothing was done.</summary>
    NotSupported = 3,
}
