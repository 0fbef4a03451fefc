namespace Hipaa.Cli.Tests.Policy;

/// <summary>Runs the <c>hipaa</c> command line in process and captures what it writes.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    public static string ConformanceDirectory => Path.Combine(AppContext.BaseDirectory, "Conformance");

    public string[] OutputLines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static CliRun Of(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exitCode = Program.Run(args, output, error);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }

    public static string Conformance(string fileName) => Path.Combine(ConformanceDirectory, fileName);

    public static string[] AllConformanceFiles() => [.. Directory.GetFiles(ConformanceDirectory, "*.json").Order(StringComparer.Ordinal)];
}
