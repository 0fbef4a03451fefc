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

    public static object? Copy(object? value) => value is byte[] bytes ? bytes.Clone() : value;

    public static bool AreEqual(object? left, object? right) =>
        left is byte[] a && right is byte[] b ? a.AsSpan().SequenceEqual(b) : Equals(left, right);
}
