namespace Hipaa.Encryption;

/// <summary>
/// The raw material of a <see cref="DataKey"/>, held against zeroing until disposed: the key cannot be wiped while a lease
/// is open (an eviction waits for it). Take it with <see cref="DataKey.LeaseMaterial"/> in a <see langword="using"/>; dispose
/// it exactly once.
/// </summary>
internal readonly ref struct DataKeyMaterialLease
{
    private readonly DataKey _key;

    internal DataKeyMaterialLease(DataKey key) => _key = key;

    /// <summary>Gets the key material, valid until the lease is disposed.</summary>
    public ReadOnlySpan<byte> Material => _key.LeasedMaterial;

    /// <summary>Ends the lease (the key may be zeroed from here on).</summary>
    public void Dispose() => _key.Release();
}
