using System.Linq.Expressions;
using System.Reflection;
using Hipaa.Encryption;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// The <see cref="DeferredPlaintext{T}"/> field that Hipaa.Sdk's source generator writes for an [Encrypted] partial
/// property, reached through compiled delegates: a query leaves the ciphertext there instead of decrypting it, and
/// SaveChanges asks whether it is still there (a value never read nor set has not changed).
/// </summary>
internal sealed class DeferredPropertyStorage
{
    /// <summary>The prefix of the generated field's name (Hipaa.SourceGeneration's DeferredDecryptionGenerator.FieldPrefix).</summary>
    public const string FieldPrefix = "__hipaaDeferred_";

    private readonly Action<object, DeferredDecryption> _defer;
    private readonly Func<object, bool> _isDeferred;

    private DeferredPropertyStorage(FieldInfo field)
    {
        Field = field;
        var entity = Expression.Parameter(typeof(object), "entity");
        var pending = Expression.Parameter(typeof(DeferredDecryption), "pending");

        // A field of a struct type, reached through the entity: the compiled call works on the field itself, not a copy.
        var storage = Expression.Field(Expression.Convert(entity, field.DeclaringType!), field);
        var defer = field.FieldType.GetMethod(nameof(DeferredPlaintext<object>.Defer), BindingFlags.Instance | BindingFlags.NonPublic)!;
        var isDeferred = field.FieldType.GetProperty(nameof(DeferredPlaintext<object>.IsDeferred), BindingFlags.Instance | BindingFlags.NonPublic)!;
        _defer = Expression.Lambda<Action<object, DeferredDecryption>>(Expression.Call(storage, defer, pending), entity, pending).Compile();
        _isDeferred = Expression.Lambda<Func<object, bool>>(Expression.Property(storage, isDeferred), entity).Compile();
    }

    public FieldInfo Field { get; }

    /// <summary>The generated storage of <paramref name="member"/>, or <see langword="null"/> when it is an ordinary property (decrypted eagerly).</summary>
    public static DeferredPropertyStorage? Find(PropertyInfo member)
    {
        var expected = typeof(DeferredPlaintext<>).MakeGenericType(member.PropertyType);
        var field = member.DeclaringType?.GetField(FieldPrefix + member.Name, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
        return field is not null && field.FieldType == expected ? new DeferredPropertyStorage(field) : null;
    }

    /// <summary>Leaves <paramref name="pending"/> in the entity's field, to be decrypted when the property is first read.</summary>
    public void Defer(object entity, DeferredDecryption pending) => _defer(entity, pending);

    /// <summary>True while the entity's value is still the ciphertext a query left: neither read nor set since.</summary>
    public bool IsDeferred(object entity) => _isDeferred(entity);
}
