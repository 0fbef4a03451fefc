using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// What one context's current query has read so far: the (patient, entity) pairs already recorded and how many PHI
/// entities were materialized. A context runs one query at a time, so one state per context suffices.
/// </summary>
internal sealed class AuditReadState
{
    private static readonly ConditionalWeakTable<DbContext, AuditReadState> States = [];
    private readonly HashSet<(string? PatientId, string Entity, Hipaa.Auditing.AuditOutcome Outcome)> _recorded = [];

    public string? Fingerprint { get; private set; }

    public IReadOnlyList<PhiEntityModel> TablesTouched { get; private set; } = [];

    public int Materialized { get; set; }

    /// <summary>Read records written inside the caller's open transaction (SQLite); re-appended if it rolls back.</summary>
    public List<AuditEntry> WrittenInTransaction { get; } = [];

    public bool Active { get; private set; }

    /// <summary>Read records of the current query waiting for its reader to close (<see cref="Hipaa.Auditing.ReadAuditCommit.PerQuery"/>).</summary>
    public List<AuditEntry> Pending { get; } = [];

    public static AuditReadState For(DbContext context) => States.GetOrCreateValue(context);

    public void Begin(string fingerprint, IReadOnlyList<PhiEntityModel> tablesTouched)
    {
        _recorded.Clear();
        Fingerprint = fingerprint;
        TablesTouched = tablesTouched;
        Materialized = 0;
        Active = true; // Pending is kept: records of an outer reader (split queries) are committed with this one's
    }

    /// <summary>True the first time a (patient, entity, outcome) is seen in this query.</summary>
    public bool FirstRead(string? patientId, string entity, Hipaa.Auditing.AuditOutcome outcome) => _recorded.Add((patientId, entity, outcome));

    public void End()
    {
        Active = false;
        _recorded.Clear();
        Pending.Clear();
    }
}
