using Hipaa.Auditing;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Auditing.Reports;

/// <content>The shared-login report: one user id active from several places at once.</content>
public sealed partial class AuditReports
{
    /// <summary>
    /// Finds user ids that were active from several places (client address and client application) at once in the audit
    /// trail — a shared login or a stolen credential (docs/audit.md, "Shared logins"). Only records with a client address
    /// count: a user's accesses from a console host or a job cannot be placed. The report is itself recorded in the trail.
    /// </summary>
    /// <param name="from">The earliest time included; <see langword="null"/> for the last 30 days.</param>
    /// <param name="to">The latest time included; <see langword="null"/> for now.</param>
    /// <param name="options">The session and overlap windows; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the report.</param>
    /// <returns>The findings, by user id and time.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A window of <paramref name="options"/> is out of range, or <paramref name="from"/> is after <paramref name="to"/>.</exception>
    /// <exception cref="InvalidOperationException">No <see cref="AccessContext"/> is current.</exception>
    /// <exception cref="AuditUnavailableException">The report could not be recorded; nothing is returned.</exception>
    public async Task<IReadOnlyList<SharedLoginFinding>> SharedLoginsAsync(
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        SharedLoginDetectionOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var detector = new SharedLoginDetector(options ?? new SharedLoginDetectionOptions());
        AccessContext access = AuditLogAccess.RequireContext("The shared-login report");
        DateTimeOffset end = to ?? _timeProvider.GetUtcNow();
        DateTimeOffset start = from ?? end.AddDays(-30);
        if (start > end)
        {
            throw new ArgumentOutOfRangeException(nameof(from), from, $"The report's window starts ({start:O}) after it ends ({end:O}).");
        }

        (string filter, List<object> parameters) = TimeFilter(start, end, firstIndex: 0);
        string sql = "SELECT actor_id AS \"ActorId\", occurred_at AS \"OccurredAt\", client_address AS \"ClientAddress\", client_application AS \"ClientApplication\""
            + " FROM hipaa_audit WHERE client_address IS NOT NULL AND actor_id <> ''" + filter + " ORDER BY actor_id, occurred_at, id";
        AuditDbContext context = new(_options);
        await using (context.ConfigureAwait(false))
        {
            await foreach (AccessFootprint row in context.Database.SqlQueryRaw<AccessFootprint>(sql, [.. parameters]).AsAsyncEnumerable().WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                detector.Add(row.ActorId, row.OccurredAt, row.ClientAddress!, row.ClientApplication);
            }
        }

        List<SharedLoginFinding> findings = detector.Findings();
        await RecordAccessAsync(access, AuditAction.Read, patientId: null, "Shared-login report" + Window(start, end), findings.Count, cancellationToken).ConfigureAwait(false);
        return findings;
    }

    /// <summary>Who accessed from where and when: the columns of an audit record the shared-login report reads.</summary>
    internal sealed class AccessFootprint
    {
        public string ActorId { get; set; } = string.Empty;

        public DateTimeOffset OccurredAt { get; set; }

        public string? ClientAddress { get; set; }

        public string? ClientApplication { get; set; }
    }
}
