#pragma warning disable EF1001 // IEntityFinder is EF Core's internal seam for DbSet.Find; there is no public one.
using Hipaa.EfCore.Auditing;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.ChangeTracking.Internal;
using Microsoft.EntityFrameworkCore.Internal;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore.Reading;

/// <summary>EF Core's finder of a PHI entity type, behind the one-actor rule (see <see cref="AdmittingEntityFinderSource"/>).</summary>
/// <typeparam name="TEntity">The PHI entity type.</typeparam>
internal sealed class AdmittingEntityFinder<TEntity>(IEntityFinder inner, IStateManager stateManager, AuditRuntime runtime) : IEntityFinder<TEntity>
    where TEntity : class
{
    private readonly IEntityFinder<TEntity> _inner = (IEntityFinder<TEntity>)inner;

    public TEntity? Find(object?[]? keyValues)
    {
        Admit();
        return _inner.Find(keyValues);
    }

    object? IEntityFinder.Find(object?[]? keyValues) => Find(keyValues);

    public ValueTask<TEntity?> FindAsync(object?[]? keyValues, CancellationToken cancellationToken = default)
    {
        Admit();
        return _inner.FindAsync(keyValues, cancellationToken);
    }

    async ValueTask<object?> IEntityFinder.FindAsync(object?[]? keyValues, CancellationToken cancellationToken) =>
        await FindAsync(keyValues, cancellationToken).ConfigureAwait(false);

    public IQueryable<TEntity> Query(INavigation navigation, InternalEntityEntry entry) => _inner.Query(navigation, entry);

    IQueryable IEntityFinder.Query(INavigation navigation, InternalEntityEntry entry) => Query(navigation, entry);

    public InternalEntityEntry? FindEntry<TKey>(TKey keyValue) => _inner.FindEntry(keyValue);

    public InternalEntityEntry? FindEntry<TProperty>(IProperty property, TProperty propertyValue) => _inner.FindEntry(property, propertyValue);

    public IEnumerable<InternalEntityEntry> GetEntries<TProperty>(IProperty property, TProperty propertyValue) => _inner.GetEntries(property, propertyValue);

    public InternalEntityEntry? FindEntry(IEnumerable<object?> keyValues) => _inner.FindEntry(keyValues);

    public InternalEntityEntry? FindEntry(IEnumerable<IProperty> properties, IEnumerable<object?> propertyValues) => _inner.FindEntry(properties, propertyValues);

    public IEnumerable<InternalEntityEntry> GetEntries(IEnumerable<IProperty> properties, IEnumerable<object?> propertyValues) => _inner.GetEntries(properties, propertyValues);

    public void Load(INavigation navigation, InternalEntityEntry entry, LoadOptions options) => _inner.Load(navigation, entry, options);

    public Task LoadAsync(INavigation navigation, InternalEntityEntry entry, LoadOptions options, CancellationToken cancellationToken = default) =>
        _inner.LoadAsync(navigation, entry, options, cancellationToken);

    public object[]? GetDatabaseValues(InternalEntityEntry entry) => _inner.GetDatabaseValues(entry);

    public Task<object[]?> GetDatabaseValuesAsync(InternalEntityEntry entry, CancellationToken cancellationToken = default) =>
        _inner.GetDatabaseValuesAsync(entry, cancellationToken);

    private void Admit()
    {
        var context = stateManager.Context;
        var access = AuditRuntime.RequireContext($"Find on {typeof(TEntity).Name}");
        ReadSession.For(context).Admit(context, runtime, access);
    }
}
