namespace Hipaa.EfCore.Encryption;

/// <summary>What keeps an erased wrapped key in the key table's files (<see cref="KeyTableCompactionBlocker"/>).</summary>
public enum KeyTableCompactionBlockerKind
{
    /// <summary>A session (PostgreSQL backend) whose transaction or snapshot is older than the newest shred: end its transaction.</summary>
    Session = 0,

    /// <summary>A prepared (two-phase) transaction older than the newest shred: <c>COMMIT PREPARED</c> or <c>ROLLBACK PREPARED</c> it.</summary>
    PreparedTransaction = 1,

    /// <summary>A replication slot that holds back the removal of old row versions (a standby's feedback): advance or drop it.</summary>
    ReplicationSlot = 2,

    /// <summary>A session holding a lock on the key table, which the rewrite needs exclusively: end its transaction.</summary>
    LockHolder = 3,

    /// <summary>
    /// SQLite: another connection to the key store's database reads an older snapshot, so its write-ahead log could not be
    /// emptied (SQLite does not say which connection).
    /// </summary>
    Reader = 4,
}
