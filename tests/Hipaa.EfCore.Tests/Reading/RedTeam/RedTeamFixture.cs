using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;

namespace Hipaa.EfCore.Tests.Reading.RedTeam;

/// <summary>
/// Shared helpers of the red-team tests: a fresh database per test, a query run under the seeded therapist, and the
/// audit records it added, split into per-patient and unattributed records.
/// </summary>
public abstract class RedTeamFixture : IDisposable
{
    protected static readonly string A = ShapesHost.A.ToString(), B = ShapesHost.B.ToString(), C = ShapesHost.C.ToString();

    protected RedTeamFixture(string provider)
    {
        Provider = provider;
        Database = TestDatabase.Create(provider);
    }

    protected string Provider { get; }

    protected bool IsSqlite => Provider == "sqlite";

    internal TestDatabase Database { get; }

    public void Dispose()
    {
        Database.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs <paramref name="query"/> on a fresh context under the therapist and returns the records it added.</summary>
    internal static async Task<List<AuditEntry>> ReadAsync<T>(ShapesHost host, Func<ShapesDb, Task<T>> query, Action<T> check)
    {
        var before = host.Records().Count;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            check(await query(context));
        }

        return [.. host.Records().Skip(before)];
    }

    /// <summary>The (entity, patient) pairs recorded against a patient, sorted, without duplicates.</summary>
    internal static List<(string Entity, string Patient)> Attributed(IEnumerable<AuditEntry> reads) =>
        [.. reads.Where(r => r.PatientId is not null).Select(r => (r.Entity, r.PatientId!)).Distinct().Order()];

    /// <summary>The records without a patient, as (action, entity, row count).</summary>
    internal static List<(AuditAction Action, string Entity, int Rows)> Unattributed(IEnumerable<AuditEntry> reads) =>
        [.. reads.Where(r => r.PatientId is null).Select(r => (r.Action, r.Entity, r.RowCount))];
}
