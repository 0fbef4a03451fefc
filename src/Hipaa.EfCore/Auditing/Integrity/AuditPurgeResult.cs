namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>What <see cref="AuditRetention.PurgeExpiredAsync"/> deleted.</summary>
/// <param name="RecordsDeleted">The number of sealed records deleted; 0 when nothing had expired up to a checkpoint.</param>
/// <param name="FirstPosition">The first chain position deleted (0 when none).</param>
/// <param name="LastPosition">The last chain position deleted, the position of the checkpoint kept as the chain's new anchor (0 when none).</param>
/// <param name="Cutoff">Records that occurred before this time had expired.</param>
internal sealed record AuditPurgeResult(long RecordsDeleted, long FirstPosition, long LastPosition, DateTimeOffset Cutoff);
