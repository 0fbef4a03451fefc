namespace Hipaa.Encryption;

/// <summary>One row of the key table: a key in wrapped form, never in plaintext.</summary>
internal sealed class DataKeyRecord
{
    public Guid Id { get; set; }

    public DataKeyKind Kind { get; set; }

    /// <summary>"root" for intermediates; "app", "column:{table}.{column}", "patient:{id}" or "index:{table}.{column}" otherwise.</summary>
    public string Scope { get; set; } = string.Empty;

    public int Version { get; set; }

    public DataKeyState State { get; set; }

    /// <summary>The wrapped key; <see langword="null"/> once destroyed.</summary>
    public byte[]? WrappedKey { get; set; }

    /// <summary>The KEK id (intermediates) or the intermediate key's id (data and index keys) that wrapped this key.</summary>
    public string WrappedBy { get; set; } = string.Empty;

    public string WrapAlgorithm { get; set; } = string.Empty;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RetiredAt { get; set; }

    public DateTimeOffset? DestroyedAt { get; set; }

    /// <summary>Encryptions reserved so far by all application instances (NIST SP 800-38D invocation limit).</summary>
    public long InvocationsReserved { get; set; }

    /// <summary>
    /// For an intermediate key of version 2 or later, the link that proves a holder of the previous version made it
    /// (<see cref="RootKeyAuthenticator"/>); <see langword="null"/> for version 1 and for data and index keys (which their
    /// intermediate key authenticates as AES-GCM associated data). Written once, at insertion.
    /// </summary>
    public byte[]? Authenticator { get; set; }

    /// <summary>
    /// Counts the changes of the key's state (retire, destroy, re-wrap): the optimistic-concurrency token of
    /// <see cref="IDataKeyStore.TryUpdate"/>. 0 when inserted; reserving invocations does not change it.
    /// </summary>
    public long Revision { get; set; }
}
