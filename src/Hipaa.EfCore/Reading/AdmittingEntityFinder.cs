#pragma warning disable EF1001 // IEntityFinder is EF Core's internal seam for DbSet.Find; there is no public one.
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Encryption;
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

    /// <summary>
    /// Reload and GetDatabaseValues read the row with a projection of its properties, which no entity materialization
    /// sees: the query is pinned to the entry's patient, so its read is recorded against that patient and, under policy
    /// enforcement, decided for that patient before it runs (<see cref="Enforcement.UnattributedReadPolicy"/>) — a denied
    /// or masked row is refused rather than written back into the entity in plaintext.
    /// </summary>
    public object[]? GetDatabaseValues(InternalEntityEntry entry)
    {
        var pinned = Pin(entry);
        try
        {
            return _inner.GetDatabaseValues(entry);
        }
        finally
        {
            Unpin(pinned);
        }
    }

    /// <inheritdoc cref="GetDatabaseValues"/>
    public async Task<object[]?> GetDatabaseValuesAsync(InternalEntityEntry entry, CancellationToken cancellationToken = default)
    {
        var pinned = Pin(entry);
        try
        {
            return await _inner.GetDatabaseValuesAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Unpin(pinned);
        }
    }

    private ReadSession? Pin(InternalEntityEntry entry)
    {
        if (runtime.GetModel(entry.EntityType) is not { PatientId: { } patientIdProperty } model)
        {
            return null;
        }

        var value = entry.EntityState == Microsoft.EntityFrameworkCore.EntityState.Added ? entry[patientIdProperty] : entry.GetOriginalValue(patientIdProperty);
        if (value is null)
        {
            return null;
        }

        var session = ReadSession.For(stateManager.Context);
        session.Pins.Push(new ReadAheadQueryCompiler.PinnedPatients(model, [EncryptedEntityModel.FormatValue(value)]));
        return session;
    }

    private static void Unpin(ReadSession? pinned) => pinned?.Pins.Pop();

    private void Admit()
    {
        var context = stateManager.Context;
        var access = AuditRuntime.RequireContext($"Find on {typeof(TEntity).Name}");
        ReadSession.For(context).Admit(context, runtime, access);
    }
}
