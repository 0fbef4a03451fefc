using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;

namespace Hipaa.EfCore.Reading;

/// <summary>
/// What one open data reader of a context has read so far: the command's fingerprint and PHI tables, the (patient,
/// entity, outcome) triples already recorded, and the records waiting for the
/// reader to close (<see cref="ReadAuditCommit.PerQuery"/>). Each reader has its own frame, so a query run while another
/// one's reader is still open (a nested loop over a streamed query, a split query) keeps its own records.
/// </summary>
internal sealed class QueryFrame(Guid commandId, AuditedCommand command, bool attributed)
{
    private readonly HashSet<(string? PatientId, string Entity, AuditOutcome Outcome)> _recorded = [];

    /// <summary>Gets the id of the command whose data reader this frame belongs to (EF Core may dispose a buffering reader in its place).</summary>
    public Guid CommandId { get; } = commandId;

    /// <summary>Gets or sets the counting reader of a query recorded unattributed (its rows are counted there, buffered or not).</summary>
    public CountingDataReader? Counter { get; set; }

    public string Fingerprint => Command.Fingerprint;

    public AuditedCommand Command { get; } = command;

    public IReadOnlyList<PhiEntityModel> TablesTouched => Command.Tables;

    /// <summary>
    /// Gets whether the query was compiled so that every PHI value it returns passes through a materialized PHI entity
    /// (<see cref="ProjectionAttributionInterceptor"/>), each recorded as it is materialized; otherwise every row of a
    /// PHI table is recorded unattributed as well.
    /// </summary>
    public bool Attributed { get; } = attributed;

    /// <summary>Gets the command's text (what policy checks masked fields against, <see cref="PatientGroupRead"/>).</summary>
    public string? CommandText { get; init; }

    /// <summary>
    /// Gets or sets whether the query's rows are decided by policy group by group (<see cref="PatientGroupRead"/>): such a
    /// query is read to its end before its first row is handed out, so a refusal of any group returns none of them.
    /// </summary>
    public bool DecidedPerGroup { get; set; }

    /// <summary>Gets the patients the aggregate this reader serves is pinned to by its predicate, if any.</summary>
    public ReadAheadQueryCompiler.PinnedPatients? Pin { get; init; }

    /// <summary>Read records of this query waiting for its reader to close (<see cref="ReadAuditCommit.PerQuery"/>).</summary>
    public List<AuditEntry> Pending { get; } = [];

    /// <summary>True the first time a (patient, entity, outcome) is seen in this query.</summary>
    public bool FirstRead(string? patientId, string entity, AuditOutcome outcome) => _recorded.Add((patientId, entity, outcome));
}
