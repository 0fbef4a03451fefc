namespace Hipaa.EfCore.Reading;

/// <summary>
/// The client method <see cref="ProjectionAttributionInterceptor"/> wraps around each PHI entity a projection reads a
/// value from. EF Core cannot translate it, so it evaluates it on the client — and to do that it materializes the whole
/// entity, which runs the read hook (decrypt, decide, redact, record) before the value is read from it.
/// </summary>
internal static class PhiProjection
{
    /// <summary>Returns <paramref name="entity"/> itself: its only effect is that EF Core materializes it.</summary>
    /// <typeparam name="TEntity">The PHI entity type.</typeparam>
    /// <param name="entity">The entity, materialized by EF Core.</param>
    /// <returns>The same entity.</returns>
    public static TEntity? Materialize<TEntity>(TEntity? entity)
        where TEntity : class => entity;
}
