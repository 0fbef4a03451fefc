namespace Hipaa.Policy;

/// <summary>Options of policy enforcement in EF Core, registered with <c>services.AddHipaa().AddPolicyEnforcement(...)</c>.</summary>
public sealed class PolicyEnforcementOptions
{
    /// <summary>
    /// Gets or sets the role catalog decisions are made from. Defaults to <see langword="null"/>: the
    /// <see cref="PolicyEngine"/> registered in DI (by <c>AddPhiAuthorization</c>), or the default behavioral-health catalog.
    /// </summary>
    public RoleCatalog? Catalog { get; set; }

    /// <summary>
    /// Gets changes applied to <see cref="Catalog"/> (or to the default catalog) at start-up — how a practice adjusts the
    /// matrix through configuration (<c>AddPolicyEnforcement(configuration)</c> binds them). Every problem fails start-up.
    /// </summary>
    public RoleCatalogChanges Changes { get; } = new();

    /// <summary>Gets or sets what a denied read returns, for categories not listed in <see cref="DeniedReadsByCategory"/>. Defaults to <see cref="DeniedReadHandling.Redact"/>.</summary>
    public DeniedReadHandling DeniedReads { get; set; } = DeniedReadHandling.Redact;

    /// <summary>Gets per-category exceptions to <see cref="DeniedReads"/>, keyed by category name (e.g. <c>"PsychotherapyNote"</c>).</summary>
    public IDictionary<string, DeniedReadHandling> DeniedReadsByCategory { get; } = new Dictionary<string, DeniedReadHandling>(StringComparer.Ordinal);

    /// <summary>
    /// Gets or sets how long a <c>DbContext</c> may reuse a patient's consents it loaded from the <see cref="IConsentStore"/>
    /// before loading them again: the bound on how long a consent revoked (or granted) while a context lives goes unseen by
    /// that context's decisions. Defaults to 10 seconds; <see cref="TimeSpan.Zero"/> loads them for every decision; at most
    /// 5 minutes. Each context has its own copies, so a new context (one per request) always starts from the store.
    /// </summary>
    public TimeSpan ConsentCacheLifetime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets what a read whose values do not pass through entities (aggregates, projections kept in SQL,
    /// <c>SqlQuery</c>) needs before it runs. Defaults to <see cref="UnattributedReadHandling.RequireUnconditionalPermit"/>.
    /// </summary>
    public UnattributedReadHandling UnattributedReads { get; set; } = UnattributedReadHandling.RequireUnconditionalPermit;
}
