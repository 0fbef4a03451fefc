namespace Hipaa.Encryption;

/// <summary>
/// Thrown when a data key was evicted from the key cache (and zeroed) between being looked up and being used: nothing was
/// encrypted, decrypted or hashed under it. Callers look the key up again (<see cref="DataKey.MaxUseAttempts"/> times at
/// most); callers that do not see an <see cref="ObjectDisposedException"/>.
/// </summary>
internal sealed class DataKeyEvictedException : ObjectDisposedException
{
    public DataKeyEvictedException(Guid keyId)
        : base(nameof(DataKey), $"Data key {keyId} was evicted from the key cache and zeroed before it could be used; nothing was encrypted or decrypted under it. Look the key up again.")
    {
        KeyId = keyId;
    }

    /// <summary>Gets the id of the evicted key.</summary>
    public Guid KeyId { get; }
}
