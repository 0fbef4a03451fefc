#pragma warning disable EF1001 // IEntityFinderSource is EF Core's internal seam for DbSet.Find; there is no public one.
using Microsoft.EntityFrameworkCore.ChangeTracking.Internal;
using Microsoft.EntityFrameworkCore.Internal;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore.Reading;

/// <summary>
/// <c>DbSet.Find</c> and <c>FindAsync</c> return an entity the context already tracks without running a query, so no
/// interceptor sees them: this source gives every PHI entity type a finder that first applies the one-actor rule
/// (<see cref="ReadSession.Admit"/>), so a second user cannot be handed a row tracked for the first. Other entity types
/// get EF Core's own finder unchanged.
/// </summary>
internal sealed class AdmittingEntityFinderSource : IEntityFinderSource
{
    private readonly EntityFinderSource _inner = new();

    public IEntityFinder Create(IStateManager stateManager, IDbSetSource setSource, IDbSetCache setCache, IEntityType type)
    {
        var finder = _inner.Create(stateManager, setSource, setCache, type);
        if (HipaaContext.Audit(stateManager.Context) is not { } runtime || runtime.GetModel(type) is null)
        {
            return finder;
        }

        var admitting = typeof(AdmittingEntityFinder<>).MakeGenericType(type.ClrType);
        return (IEntityFinder)Activator.CreateInstance(admitting, finder, stateManager, runtime)!;
    }
}
