using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore.Materialization;

/// <summary>
/// Gives every entity type that has encrypted or PHI properties an instantiation binding that calls
/// <see cref="EntityReadHook"/> once the entity's properties are set. This is how a read is decrypted, decided by policy
/// and audited without an <see cref="IMaterializationInterceptor"/>: EF Core builds a per-row dictionary of property
/// accessors for every entity of every query as soon as one of those is registered (measured: 2.7× on a 100-row query),
/// while a binding costs one method call per entity of the types that need it and nothing for the others.
/// </summary>
internal sealed class EntityReadBindingInterceptor : IInstantiationBindingInterceptor
{
    public static EntityReadBindingInterceptor Instance { get; } = new();

    public InstantiationBinding ModifyBinding(InstantiationBindingInterceptionData interceptionData, InstantiationBinding binding)
    {
        if (interceptionData.TypeBase is not IEntityType entityType
            || binding is EntityReadBinding

            // The "empty" materializer (an instance with services only, no row) has nothing to decrypt or audit.
            || ReferenceEquals(binding, entityType.ServiceOnlyConstructorBinding)
            || EntityReadHook.For(entityType) is not { } hook)
        {
            return binding;
        }

        return new EntityReadBinding(binding, hook);
    }
}
