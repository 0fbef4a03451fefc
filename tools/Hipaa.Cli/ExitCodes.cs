namespace Hipaa.Cli;

/// <summary>The exit codes every <c>hipaa</c> command uses.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked and every check passed.</summary>
    public const int Success = 0;

    /// <summary>The command ran, and a check failed (for <c>policy eval</c>: a scenario's outcome differs from its expectation).</summary>
    public const int CheckFailed = 1;

    /// <summary>The command line or an input file is malformed; the message names what and where.</summary>
    public const int InvalidInput = 2;
}
