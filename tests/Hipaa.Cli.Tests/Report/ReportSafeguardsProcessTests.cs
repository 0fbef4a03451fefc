using System.Diagnostics;
using System.Text.Json;
using Hipaa.Cli.Tests.Breach;

namespace Hipaa.Cli.Tests.Report;

/// <summary><c>hipaa report safeguards</c> as a real process, on an assembly copied to a folder of its own (as an EHR's build output is).</summary>
public sealed class ReportSafeguardsProcessTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hipaa-cli-ehr-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task HipaaProcess_SafeguardsOfAnAssemblyInAnotherFolder_LoadsItAndWritesTheInventory()
    {
        string assembly = Path.Combine(_directory, "Hipaa.Cli.ClinicDriver.dll");
        File.Copy(ClinicTrail.AssemblyPath, assembly);
        string tool = Path.Combine(AppContext.BaseDirectory, "Hipaa.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { tool, "report", "safeguards", "--assembly", assembly, "--format", "json" })
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, await error);
        using var json = JsonDocument.Parse(await output);
        JsonElement context = Assert.Single(json.RootElement.GetProperty("contexts").EnumerateArray());
        Assert.Equal(4, context.GetProperty("entities").GetArrayLength());
        Assert.Contains(
            context.GetProperty("entities").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "PsychotherapyNote").GetProperty("properties").EnumerateArray(),
            p => p.GetProperty("name").GetString() == "Text" && p.GetProperty("encrypted").GetBoolean());
    }
}
