using System.Runtime.CompilerServices;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// The plaintext of each encrypted property as last read or written, per tracked entity instance. EF Core cannot detect
/// changes to the (unmapped) CLR properties, so SaveChanges compares against this to know what to re-encrypt.
/// </summary>
internal sealed class EncryptionSnapshots
{
    private readonly ConditionalWeakTable<object, object?[]> _snapshots = [];

    public object?[]? Find(object entity) => _snapshots.TryGetValue(entity, out var values) ? values : null;

    public void Set(object entity, object?[] values) => _snapshots.AddOrUpdate(entity, values);

    /// <summary>
    /// In a snapshot, in place of a plaintext: the value was left encrypted by the query (a deferred property), so it is
    /// the stored ciphertext until the property is read or set.
    /// </summary>
    public static object StillEncrypted { get; } = new();

    public static object? Copy(object? value) => value is byte[] bytes ? bytes.Clone() : value;

    public static bool AreEqual(object? left, object? right) =>
        left is byte[] a && right is byte[] b ? a.AsSpan().SequenceEqual(b) : Equals(left, right);
}
