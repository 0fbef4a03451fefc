namespace Hipaa.EfCore.Encryption;

/// <summary>
/// One thing that keeps the key table from being compacted, or keeps an erased wrapped key visible to the compaction:
/// a session, a prepared transaction, a replication slot or a lock holder. Never holds query text (which may hold PHI).
/// </summary>
public sealed class KeyTableCompactionBlocker
{
    internal KeyTableCompactionBlocker(KeyTableCompactionBlockerKind kind, string name, string description, DateTimeOffset? transactionStartedAt, long? transactionAge)
    {
        Kind = kind;
        Name = name;
        Description = description;
        TransactionStartedAt = transactionStartedAt;
        TransactionAge = transactionAge;
    }

    /// <summary>Gets what it is.</summary>
    public KeyTableCompactionBlockerKind Kind { get; }

    /// <summary>Gets its name in the database: a session's process id, a prepared transaction's global id, a slot's name.</summary>
    public string Name { get; }

    /// <summary>Gets a sentence that says what it is (application name, state, since when) and how to end it.</summary>
    public string Description { get; }

    /// <summary>Gets when its transaction started (or was prepared), when the database says.</summary>
    public DateTimeOffset? TransactionStartedAt { get; }

    /// <summary>Gets the age, in transaction ids, of the oldest transaction id it holds back (PostgreSQL's <c>age()</c>), when known.</summary>
    public long? TransactionAge { get; }

    /// <inheritdoc/>
    public override string ToString() => Description;
}
