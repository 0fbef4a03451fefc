namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>What one <see cref="AuditSealer.SealAsync"/> call sealed.</summary>
/// <param name="RecordsSealed">The number of records sealed; 0 when none were waiting.</param>
/// <param name="FirstPosition">The chain position of the first record sealed (0 when none).</param>
/// <param name="LastPosition">The chain position of the new head, which the new checkpoint covers (0 when none).</param>
internal sealed record AuditSealResult(int RecordsSealed, long FirstPosition, long LastPosition)
{
    /// <summary>Gets the result of a call that found nothing to seal.</summary>
    public static AuditSealResult Empty { get; } = new(0, 0, 0);
}
