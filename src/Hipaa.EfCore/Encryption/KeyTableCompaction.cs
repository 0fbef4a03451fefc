namespace Hipaa.EfCore.Encryption;

/// <summary>What <see cref="FieldEncryptionKeyManager.CompactKeyTableAsync"/> did, and what stood in its way.</summary>
public sealed class KeyTableCompaction
{
    internal KeyTableCompaction(KeyTableCompactionOutcome outcome, IReadOnlyList<KeyTableCompactionBlocker> blockers, string message)
    {
        Outcome = outcome;
        Blockers = blockers;
        Message = message;
    }

    /// <summary>Gets what was done.</summary>
    public KeyTableCompactionOutcome Outcome { get; }

    /// <summary>Gets a value indicating whether the key table was compacted (<see cref="KeyTableCompactionOutcome.Compacted"/>).</summary>
    public bool Compacted => Outcome == KeyTableCompactionOutcome.Compacted;

    /// <summary>Gets what kept the compaction from happening (empty when it happened).</summary>
    public IReadOnlyList<KeyTableCompactionBlocker> Blockers { get; }

    /// <summary>Gets a sentence that says what was done and, when nothing was, what to do.</summary>
    public string Message { get; }

    /// <inheritdoc/>
    public override string ToString() => Message;
}
