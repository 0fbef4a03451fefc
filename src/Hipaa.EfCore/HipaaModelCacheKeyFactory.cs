using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Hipaa.EfCore;

/// <summary>Caches one model per context type, field-encryption runtime (its blind-index converters use that runtime's keys) and whether the audit tables are part of it.</summary>
internal sealed class HipaaModelCacheKeyFactory : IModelCacheKeyFactory
{
    public object Create(DbContext context, bool designTime) =>
        (context.GetType(), designTime, HipaaContext.Encryption(context), HipaaContext.Audit(context) is not null);
}
