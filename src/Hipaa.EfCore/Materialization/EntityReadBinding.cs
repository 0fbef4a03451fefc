using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using static System.Linq.Expressions.Expression;

namespace Hipaa.EfCore.Materialization;

/// <summary>
/// Wraps an entity type's own instantiation binding: constructs the entity as EF Core would, sets every mapped CLR
/// property itself (so EF does not set them afterwards) and then hands the entity, the materialization context and the
/// values <see cref="EntityReadHook"/> asked for (shadow ciphertexts included) to the hook — before EF tracks the entity
/// or returns it to the caller.
/// </summary>
internal sealed class EntityReadBinding : InstantiationBinding
{
    private static readonly MethodInfo OnMaterializedMethod = typeof(EntityReadHook).GetMethod(nameof(EntityReadHook.OnMaterialized))!;

    private readonly InstantiationBinding _inner;
    private readonly EntityReadHook _hook;
    private readonly IReadOnlyList<IProperty> _assigned;

    public EntityReadBinding(InstantiationBinding inner, EntityReadHook hook)
        : this(inner, hook, Assignable(inner, hook.EntityType))
    {
    }

    private EntityReadBinding(InstantiationBinding inner, EntityReadHook hook, IReadOnlyList<IProperty> assigned)
        : base([.. inner.ParameterBindings, .. assigned.Select(p => new PropertyParameterBinding(p))])
    {
        _inner = inner;
        _hook = hook;
        _assigned = assigned;
    }

    public override Type RuntimeType => _inner.RuntimeType;

    public override Expression CreateConstructorExpression(ParameterBindingInfo bindingInfo)
    {
        var instance = Variable(RuntimeType, "hipaaEntity");
        var valueBuffer = Call(bindingInfo.MaterializationContextExpression, MaterializationContext.GetValueBufferMethod);
        var body = new List<Expression> { Assign(instance, _inner.CreateConstructorExpression(bindingInfo)) };
        var members = new Dictionary<IProperty, MemberInfo>();
        foreach (var property in _assigned)
        {
            var member = property.GetMemberInfo(forMaterialization: true, forSet: true);
            members[property] = member;
            body.Add(Assign(
                MakeMemberAccess(instance, member),
                valueBuffer.CreateValueBufferReadValueExpression(TypeOf(member), bindingInfo.GetValueBufferIndex(property), property)));
        }

        // The hook's inputs: read back from the entity when EF just set them, otherwise (shadow properties such as the
        // ciphertext columns, or properties the entity's constructor consumed) from the row.
        var inputs = _hook.Inputs.Select(property => members.TryGetValue(property, out var member)
            ? Convert(MakeMemberAccess(instance, member), typeof(object))
            : Convert(valueBuffer.CreateValueBufferReadValueExpression(property.ClrType, bindingInfo.GetValueBufferIndex(property), property), typeof(object)));
        body.Add(Call(
            Constant(_hook),
            OnMaterializedMethod,
            Convert(instance, typeof(object)),
            bindingInfo.MaterializationContextExpression,
            NewArrayInit(typeof(object), inputs),
            Constant(bindingInfo.QueryTrackingBehavior == QueryTrackingBehavior.TrackAll)));
        body.Add(instance);
        return Block(RuntimeType, [instance], body);
    }

    public override InstantiationBinding With(IReadOnlyList<ParameterBinding> parameterBindings)
    {
        var innerCount = _inner.ParameterBindings.Count;
        return new EntityReadBinding(_inner.With([.. parameterBindings.Take(innerCount)]), _hook, _assigned);
    }

    /// <summary>The mapped CLR properties EF would set after construction: all but shadow, indexer and constructor-bound ones.</summary>
    private static IReadOnlyList<IProperty> Assignable(InstantiationBinding inner, IEntityType entityType)
    {
        var consumed = inner.ParameterBindings.SelectMany(b => b.ConsumedProperties).ToHashSet();
        return [.. entityType.GetProperties().Where(p => !p.IsShadowProperty() && !p.IsIndexerProperty() && !consumed.Contains(p))];
    }

    private static Type TypeOf(MemberInfo member) => member switch
    {
        PropertyInfo property => property.PropertyType,
        FieldInfo field => field.FieldType,
        _ => throw new InvalidOperationException($"Unexpected member {member.Name}."),
    };
}
