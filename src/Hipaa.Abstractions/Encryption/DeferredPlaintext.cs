using System.ComponentModel;

namespace Hipaa.Encryption;

/// <summary>
/// The storage that Hipaa.Sdk's source generator writes for an <see cref="EncryptedAttribute"/> partial property: the
/// property's value, or — for an entity a query has just read — its ciphertext, decrypted the first time the property is
/// read. Properties of a query's result that are never read are never decrypted. Not for direct use.
/// </summary>
/// <typeparam name="T">The property's type.</typeparam>
/// <remarks>
/// A value that fails to decrypt (tampered, moved, shredded, its key service down) throws the same exception from the
/// property's getter that an eager read throws from the query; no plaintext is ever guessed. Reading a property from
/// several threads at once is safe (each may decrypt; all see the same value); writing it while another thread reads it
/// is as unsafe as for any other entity property.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct DeferredPlaintext<T>
{
    private T _value;
    private DeferredDecryption? _pending;

    /// <summary>Gets the value, decrypting it on the first read after a query; or sets it (nothing is decrypted then).</summary>
    public T Value
    {
        get => Volatile.Read(ref _pending) is { } pending ? Resolve(pending) : _value;
        set
        {
            _value = value;
            Volatile.Write(ref _pending, null);
        }
    }

    /// <summary>Gets a value indicating whether the value is still the ciphertext a query left (neither read nor set since).</summary>
    internal readonly bool IsDeferred => _pending is not null;

    /// <summary>Leaves the value encrypted until it is first read.</summary>
    internal void Defer(DeferredDecryption pending)
    {
        _value = default!;
        Volatile.Write(ref _pending, pending);
    }

    private T Resolve(DeferredDecryption pending)
    {
        var value = pending.Decrypt() is T typed ? typed : default!;
        _value = value;

        // Published after the value: a reader that sees no pending decryption sees the value.
        Volatile.Write(ref _pending, null);
        return value;
    }
}
