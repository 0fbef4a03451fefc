using System.CommandLine;

namespace Hipaa.Cli;

/// <summary>Parses and invokes a command line, reporting usage errors with <see cref="ExitCodes.InvalidInput"/>.</summary>
internal static class CommandLineRunner
{
    public static int Run(RootCommand root, IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);

        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (System.CommandLine.Parsing.ParseError parseError in parsed.Errors)
            {
                error.WriteLine(parseError.Message);
            }

            error.WriteLine("Run 'hipaa --help' for usage.");
            return ExitCodes.InvalidInput;
        }

        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }
}
