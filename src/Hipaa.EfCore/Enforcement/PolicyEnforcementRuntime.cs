using System.Reflection;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Reading;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore.Enforcement;

/// <summary>Policy decisions for EF Core accesses: builds the request from the access context and the row, redacts or refuses.</summary>
internal sealed class PolicyEnforcementRuntime(PolicyEngine engine, PolicyEnforcementOptions options, IConsentStore? consents, TimeProvider time)
{
    public PolicyEngine Engine { get; } = engine;

    public AccessDecision Decide(DbContext context, AccessContext access, PhiEntityModel model, string? patientId, string? authorId, PhiAction action) =>
        Engine.Decide(new AccessRequest
        {
            Actor = access.Actor,
            PatientId = patientId ?? string.Empty,
            Category = new DataCategory(model.Category),
            Labels = [.. model.Labels.Select(l => new SensitivityLabel(l))],
            AuthorId = authorId,
            Action = KeyMaintenanceScope.Effective(action),
            Purpose = access.PurposeOfUse,
            BreakGlassReason = access.BreakGlassReason,
            Consents = patientId is null ? [] : ConsentsOf(context, patientId),
            At = time.GetUtcNow(),
        });

    /// <summary>A decision without the patient's consents, for <paramref name="actor"/> (who may differ from the context's: see <see cref="UnattributedReadPolicy"/>).</summary>
    public AccessDecision DecideWithout(AccessContext access, Actor actor, PhiEntityModel model, string patientId, string? authorId, PhiAction action = PhiAction.Read) =>
        Engine.Decide(new AccessRequest
        {
            Actor = actor,
            PatientId = patientId,
            Category = new DataCategory(model.Category),
            Labels = [.. model.Labels.Select(l => new SensitivityLabel(l))],
            AuthorId = authorId,
            Action = KeyMaintenanceScope.Effective(action),
            Purpose = access.PurposeOfUse,
            BreakGlassReason = access.BreakGlassReason,
            At = time.GetUtcNow(),
        });

    public UnattributedReadHandling UnattributedReads => options.UnattributedReads;

    public DeniedReadHandling DeniedReadsFor(string category) =>
        options.DeniedReadsByCategory.TryGetValue(category, out var handling) ? handling : options.DeniedReads;

    public IProperty? AuthorProperty(IEntityType entityType) => HipaaAnnotations.AuthorProperty(entityType);

    private int _synchronousLoads;

    /// <summary>Gets a value indicating whether an <see cref="IConsentStore"/> is registered (decisions then load consents).</summary>
    public bool HasConsentStore => consents is not null;

    /// <summary>Gets how many times a decision had to load a patient's consents synchronously (not preloaded); for tests.</summary>
    internal int SynchronousConsentLoads => Volatile.Read(ref _synchronousLoads);

    /// <summary>
    /// Loads, without blocking a thread, the consents of the patients an async query is known to be about before its rows
    /// are decided — the access context's patient scope (the route's patient) and the patients an aggregate is pinned to —
    /// into the context's consent cache, where the read hook then finds them. Consents already cached and still within
    /// <see cref="PolicyEnforcementOptions.ConsentCacheLifetime"/> are not loaded again.
    /// </summary>
    public async ValueTask PreloadConsentsAsync(DbContext context, IEnumerable<string> patientIds, CancellationToken cancellationToken)
    {
        if (consents is null)
        {
            return;
        }

        var cache = ReadSession.For(context).Consents;
        foreach (var patientId in patientIds)
        {
            long now;
            lock (cache)
            {
                now = time.GetTimestamp();
                if (cache.TryGetValue(patientId, out var entry) && time.GetElapsedTime(entry.LoadedAt, now) < options.ConsentCacheLifetime)
                {
                    continue;
                }
            }

            var loaded = await consents.ListAsync(patientId, cancellationToken).ConfigureAwait(false);
            lock (cache)
            {
                cache[patientId] = (loaded, now); // aged from before the load: a revocation is never seen later than the bound
            }
        }
    }

    /// <summary>
    /// The patient's consents, loaded at most once per <see cref="PolicyEnforcementOptions.ConsentCacheLifetime"/> per context:
    /// a consent revoked while a context lives stops permitting that context's accesses within the lifetime.
    /// </summary>
    private IReadOnlyList<Consent> ConsentsOf(DbContext context, string patientId)
    {
        if (consents is null)
        {
            return [];
        }

        var cache = ReadSession.For(context).Consents;
        lock (cache)
        {
            var now = time.GetTimestamp();
            if (!cache.TryGetValue(patientId, out var entry) || time.GetElapsedTime(entry.LoadedAt, now) >= options.ConsentCacheLifetime)
            {
                Interlocked.Increment(ref _synchronousLoads); // not preloaded: a sync query, or a patient no async query announced
                entry = (consents.ListAsync(patientId).GetAwaiter().GetResult(), now);
                cache[patientId] = entry;
            }

            return entry.Consents;
        }
    }
}
