using System.Linq.Expressions;
using System.Reflection;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore.Encryption;

/// <summary>One encrypted CLR property of an entity type and the shadow properties that store it.</summary>
internal sealed class EncryptedPropertyModel(PropertyInfo member, IProperty ciphertext, IProperty? blindIndex, string column, FieldColumn binding)
{
    public PropertyInfo Member { get; } = member;

    public string Name => Member.Name;

    public IProperty Ciphertext { get; } = ciphertext;

    public IProperty? BlindIndex { get; } = blindIndex;

    public string Column { get; } = column;

    /// <summary>The schema, table and column every ciphertext of this property is bound to, with its column id computed once.</summary>
    public FieldColumn Binding { get; } = binding;

    public FieldValueCodec Codec { get; } = FieldValueCodec.For(member.PropertyType);

    /// <summary>
    /// True when the CLR property may hold <see langword="null"/>: a <see cref="Nullable{T}"/>, or a reference type not
    /// declared non-nullable (<c>string?</c>, or code without nullable annotations). A non-nullable <c>string</c> or
    /// <c>byte[]</c> does not: setting it to null would break the contract its declaration states.
    /// </summary>
    public bool AcceptsNull { get; } = member.PropertyType.IsValueType
        ? Nullable.GetUnderlyingType(member.PropertyType) is not null
        : new NullabilityInfoContext().Create(member).WriteState != NullabilityState.NotNull;

    /// <summary>
    /// The generated storage of an [Encrypted] partial property, whose value a query leaves encrypted until it is first
    /// read; <see langword="null"/> for an ordinary property, which a query decrypts as it materializes the entity.
    /// </summary>
    public DeferredPropertyStorage? Deferred { get; } = DeferredPropertyStorage.Find(member);

    private readonly Func<object, object?> _get = CompileGetter(member);
    private readonly Action<object, object?> _set = CompileSetter(member);

    public object? GetValue(object entity) => _get(entity);

    /// <summary>Sets the CLR property (a compiled delegate: reflection's SetValue costs more than decrypting a small value).</summary>
    public void SetValue(object entity, object? value) => _set(entity, value);

    private static Func<object, object?> CompileGetter(PropertyInfo member)
    {
        var entity = Expression.Parameter(typeof(object), "entity");
        var body = Expression.Convert(Expression.Property(Expression.Convert(entity, member.DeclaringType!), member), typeof(object));
        return Expression.Lambda<Func<object, object?>>(body, entity).Compile();
    }

    private static Action<object, object?> CompileSetter(PropertyInfo member)
    {
        if (member.SetMethod is null)
        {
            return (_, _) => throw new InvalidOperationException($"{member.DeclaringType?.Name}.{member.Name} is encrypted but has no setter; give it one (it may be private or init).");
        }

        var entity = Expression.Parameter(typeof(object), "entity");
        var value = Expression.Parameter(typeof(object), "value");
        var type = member.PropertyType;
        Expression converted = type.IsValueType && Nullable.GetUnderlyingType(type) is null
            ? Expression.Condition(Expression.Equal(value, Expression.Constant(null)), Expression.Default(type), Expression.Convert(value, type))
            : Expression.Convert(value, type);
        var body = Expression.Assign(Expression.Property(Expression.Convert(entity, member.DeclaringType!), member), converted);
        return Expression.Lambda<Action<object, object?>>(body, entity, value).Compile();
    }
}
