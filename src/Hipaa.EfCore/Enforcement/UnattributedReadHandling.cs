namespace Hipaa.Policy;

/// <summary>
/// What policy enforcement requires before a read whose values do not pass through entities runs: an aggregate, a
/// projection EF Core keeps in SQL (ordering, filtering or grouping over its members), <c>SqlQuery</c>, a database-values
/// reload. Such a read cannot be decided per row or redacted afterwards — SQL computed its values — so it is decided for
/// the whole command before the command runs, and a refusal returns nothing. An aggregate whose predicate pins it to
/// patients (<c>Count(n =&gt; n.PatientId == id &amp;&amp; …)</c>) is decided for exactly those patients instead.
/// </summary>
public enum UnattributedReadHandling
{
    /// <summary>
    /// The read runs only when policy would permit it for any patient: the actor's roles may read the category for this
    /// purpose without a care-team relationship, a consent, authorship of the record or break-the-glass, and no field the
    /// command names is masked. Anything less is refused. The default: nothing is computed over records of patients the
    /// actor could not open one by one.
    /// </summary>
    RequireUnconditionalPermit = 0,

    /// <summary>
    /// The read runs when the actor's roles may read the category for this purpose for some patient (one on their care
    /// team, a note they wrote), and no field the command names is masked; a role the category is not granted to at all
    /// (billing and progress notes) is still refused. Weaker: such a read may cover patients outside the care team, and
    /// the trail records it unattributed. For applications whose clinicians run practice-wide aggregates.
    /// </summary>
    RequireRolePermit = 1,
}
