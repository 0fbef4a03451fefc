using System.Globalization;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing.Reports;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>
/// The retention rule of the audit trail: records are kept at least six years (45 CFR 164.316(b)(2)), longer when configured,
/// and a deletion before the retention date is refused. Expired records go from the start of the chain up to a checkpoint,
/// which stays as the signed anchor the verifier starts from (docs/audit.md, "Retention").
/// </summary>
internal sealed class AuditRetention
{
    /// <summary>
    /// The shortest retention period accepted: 2,192 days, which is six calendar years whatever the leap days in them
    /// (6 × 365 + 2).
    /// </summary>
    public static readonly TimeSpan MinimumRetentionPeriod = TimeSpan.FromDays((6 * 365) + 2);

    private readonly DbContextOptions<AuditDbContext> _options;
    private readonly TimeProvider _timeProvider;

    /// <summary>Initializes a new instance.</summary>
    /// <param name="options">The audit store.</param>
    /// <param name="timeProvider">The clock that decides what has expired; never a time the caller passes in.</param>
    public AuditRetention(DbContextOptions<AuditDbContext> options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = options;
        _timeProvider = timeProvider;
    }

    /// <summary>Refuses a retention period shorter than <see cref="MinimumRetentionPeriod"/>.</summary>
    /// <param name="retentionPeriod">The period to check.</param>
    /// <exception cref="ArgumentOutOfRangeException">The period is shorter than six years.</exception>
    public static void EnsureAllowed(TimeSpan retentionPeriod)
    {
        if (retentionPeriod < MinimumRetentionPeriod)
        {
            throw new ArgumentOutOfRangeException(
                nameof(retentionPeriod),
                retentionPeriod,
                string.Format(
                    CultureInfo.InvariantCulture,
                    "Audit records must be kept at least six years (45 CFR 164.316(b)(2)); a retention period of {0:0.##} days was "
                        + "refused and nothing was deleted. Use at least {1:0} days (AuditRetention.MinimumRetentionPeriod), or longer "
                        + "where state law or policy requires it.",
                    retentionPeriod.TotalDays,
                    MinimumRetentionPeriod.TotalDays));
        }
    }

    /// <summary>
    /// Deletes the sealed records that expired under <paramref name="retentionPeriod"/>: the longest prefix of the chain that
    /// ends at a checkpoint made before the cutoff and holds only records that occurred before it. The checkpoint at the end of
    /// the prefix is kept (older ones are deleted with their records), so the chain still verifies from it; unsealed rows are
    /// never deleted. Runs under the chain lock, so it does not interleave with sealing, and records itself in the trail.
    /// </summary>
    /// <param name="retentionPeriod">How long records are kept; at least <see cref="MinimumRetentionPeriod"/>.</param>
    /// <param name="cancellationToken">Cancels the purge; nothing is deleted.</param>
    /// <returns>What was deleted.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The period is shorter than six years; nothing is deleted.</exception>
    /// <exception cref="InvalidOperationException">No <see cref="AccessContext"/> is current (the purge is itself audited).</exception>
    public async Task<AuditPurgeResult> PurgeExpiredAsync(TimeSpan retentionPeriod, CancellationToken cancellationToken = default)
    {
        EnsureAllowed(retentionPeriod);
        AccessContext access = AuditLogAccess.RequireContext("Purging expired audit records");
        DateTimeOffset now = _timeProvider.GetUtcNow();
        DateTimeOffset cutoff = AuditCheckpoint.ToStoredPrecision(now - retentionPeriod);

        AuditDbContext context = new(_options);
        await using (context.ConfigureAwait(false))
        {
            var transaction = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await AuditChainLock.AcquireAsync(context, cancellationToken).ConfigureAwait(false);

                long? start = await context.Entries
                    .Where(e => e.ChainPosition != null)
                    .MinAsync(e => e.ChainPosition, cancellationToken)
                    .ConfigureAwait(false);
                long? firstKept = await context.Database
                    .SqlQueryRaw<long?>(
                        "SELECT MIN(chain_position) AS \"Value\" FROM hipaa_audit WHERE chain_position IS NOT NULL AND occurred_at >= {0}",
                        cutoff)
                    .SingleAsync(cancellationToken)
                    .ConfigureAwait(false);
                long limit = firstKept ?? long.MaxValue;
                long? anchor = await context.Database
                    .SqlQueryRaw<long?>(
                        "SELECT MAX(position) AS \"Value\" FROM hipaa_audit_checkpoints WHERE position < {0} AND created_at < {1}",
                        limit,
                        cutoff)
                    .SingleAsync(cancellationToken)
                    .ConfigureAwait(false);

                if (start is null || anchor is null || anchor < start)
                {
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return new AuditPurgeResult(0, 0, 0, cutoff);
                }

                long through = anchor.Value;
                await context.PatientIndex
                    .Where(i => context.Entries.Where(e => e.ChainPosition != null && e.ChainPosition <= through).Select(e => e.Id).Contains(i.AuditId))
                    .ExecuteDeleteAsync(cancellationToken)
                    .ConfigureAwait(false);
                int deleted = await context.Entries
                    .Where(e => e.ChainPosition != null && e.ChainPosition <= through)
                    .ExecuteDeleteAsync(cancellationToken)
                    .ConfigureAwait(false);
                await context.Checkpoints
                    .Where(c => c.Position < through)
                    .ExecuteDeleteAsync(cancellationToken)
                    .ConfigureAwait(false);

                context.Entries.Add(AuditLogAccess.CreateEntry(
                    access,
                    AuditAction.Delete,
                    patientId: null,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"Retention purge: deleted the sealed audit records at chain positions {start}..{through}, all of which occurred before {cutoff.UtcDateTime:O} (retention period {retentionPeriod.TotalDays:0} days); the checkpoint at position {through} anchors the chain."),
                    deleted,
                    now));
                await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return new AuditPurgeResult(deleted, start.Value, through, cutoff);
            }
        }
    }
}
