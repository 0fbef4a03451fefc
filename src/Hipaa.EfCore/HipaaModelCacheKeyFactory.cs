using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Hipaa.EfCore;

/// <summary>Caches one model per context type and field-encryption runtime (its blind-index converters use that runtime's keys).</summary>
internal sealed class HipaaModelCacheKeyFactory : IModelCacheKeyFactory
{
    public object Create(DbContext context, bool designTime) =>
        (context.GetType(), designTime, HipaaContext.Encryption(context));
}
