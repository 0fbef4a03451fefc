namespace Hipaa.Cli.Breach;

/// <summary>The exit code <c>hipaa breach assess</c> adds to <see cref="ExitCodes"/> and <see cref="Audit.AuditExitCodes"/>.</summary>
internal static class BreachExitCodes
{
    /// <summary>
    /// The assessment was written, but the audit trail it rests on did not verify (changed, truncated, emptied) or is not anchored
    /// (no <c>--public-key</c> or <c>--checkpoints</c> vouches for it): the list of patients may be incomplete or forged.
    /// </summary>
    public const int TrailNotVerified = 5;
}
