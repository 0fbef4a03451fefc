using System.Diagnostics;

namespace Hipaa.Cli.Tests.Policy;

/// <summary>The tool as a real process: what a user or a CI job sees, exit code included.</summary>
public sealed class PolicyCommandProcessTests
{
    [Fact]
    public async Task HipaaProcess_EvalOfConformanceFiles_ExitsZero()
    {
        (int exitCode, string output, string error) = await RunAsync(["policy", "eval", .. CliRun.AllConformanceFiles()]);

        Assert.True(exitCode == 0, error);
        Assert.DoesNotContain("\"matches\": false", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HipaaProcess_EvalOfMalformedFile_ExitsTwo()
    {
        using var file = new TemporaryScenarioFile("{ \"scenarios\": [ { } ] }");

        (int exitCode, _, string error) = await RunAsync(["policy", "eval", file.Path]);

        Assert.Equal(2, exitCode);
        Assert.Contains("field 'name' is required", error, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string[] args)
    {
        string tool = Path.Combine(AppContext.BaseDirectory, "Hipaa.Cli.dll");
        Assert.True(File.Exists(tool), $"{tool} is missing; the test project references tools/Hipaa.Cli.");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(tool);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        Task<string> output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        Task<string> error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
