using System.CommandLine;
using Hipaa.Cli.Policy;

namespace Hipaa.Cli;

/// <summary>
/// The <c>hipaa</c> tool. Each command group lives in its own folder with one <c>XxxCommand.Create()</c> factory;
/// this class only composes them. To add a group (<c>hipaa audit …</c>, <c>hipaa keys …</c>), add one line below.
/// </summary>
internal static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the tool with the given arguments and writers; returns the process exit code (see <see cref="ExitCodes"/>).</summary>
    internal static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error) =>
        CommandLineRunner.Run(CreateRootCommand(), args, output, error);

    internal static RootCommand CreateRootCommand() =>
        new("hipaa: the Hipaa.Sdk compliance tool.")
        {
            PolicyCommand.Create(),
            Audit.AuditCommand.Create(),
            Breach.BreachCommand.Create(),
            Report.ReportCommand.Create(),
        };
}
