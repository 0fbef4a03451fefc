namespace Hipaa.Cli.Audit;

/// <summary>The exit code <c>hipaa audit</c> adds to <see cref="ExitCodes"/>.</summary>
internal static class AuditExitCodes
{
    /// <summary>The audit store could not be reached or read (wrong connection string, database down, no audit tables).</summary>
    public const int StoreUnavailable = 3;

    /// <summary>
    /// <c>audit verify</c>: the chain is consistent, but no trusted public key and no exported checkpoint vouches for it, so a rewrite
    /// re-signed with another key would look the same.
    /// </summary>
    public const int Unanchored = 4;
}
