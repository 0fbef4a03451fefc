using System.Reflection;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore;

/// <summary>Finds the property of an entity type that holds the id of the record's author (<see cref="AuthorIdAttribute"/>).</summary>
internal static class AuthorIdProperty
{
    public static IProperty? Find(IEntityType entityType) =>
        entityType.GetProperties().FirstOrDefault(p => p.PropertyInfo?.GetCustomAttribute<AuthorIdAttribute>(inherit: true) is not null);
}
