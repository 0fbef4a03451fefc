namespace Hipaa.Cli.Audit;

/// <summary>The exit code <c>hipaa audit</c> adds to <see cref="ExitCodes"/>.</summary>
internal static class AuditExitCodes
{
    /// <summary>The audit store could not be reached or read (wrong connection string, database down, no audit tables).</summary>
    public const int StoreUnavailable = 3;
}
