using System.Diagnostics;

namespace Hipaa.Samples.Clinic.Tests;

/// <summary>
/// <c>dotnet run --project samples/Hipaa.Samples.Clinic -- demo</c>, as a process from the build output: it exits 0 and
/// tells each part of the story.
/// </summary>
public sealed class DemoSmokeTests
{
    [Fact]
    public async Task Demo_RunAsAProcess_ExitsZeroAndTellsEveryStep()
    {
        string data = Path.Combine(Path.GetTempPath(), "hipaa-clinic-demo-" + Guid.NewGuid().ToString("N"));
        try
        {
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = AppContext.BaseDirectory,
            };
            foreach (string argument in new[] { Path.Combine(AppContext.BaseDirectory, "Hipaa.Samples.Clinic.dll"), "demo", "--data", data })
            {
                start.ArgumentList.Add(argument);
            }

            using Process process = Process.Start(start)!;
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await process.WaitForExitAsync(timeout.Token);
            string text = await output;

            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{text}\n{await error}");
            string flat = string.Join(' ', text.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
            Assert.Contains("Seeded 15 staff and 36 patients", flat, StringComparison.Ordinal);
            Assert.Contains("withheld: notes.never-billing", flat, StringComparison.Ordinal);
            Assert.Contains("buprenorphine/naloxone 8 mg/2 mg sublingual daily", flat, StringComparison.Ordinal);
            Assert.Contains("(narrative masked: minimum necessary)", flat, StringComparison.Ordinal);
            Assert.Contains("without a consent: refused (disclosure.part2-consent-required)", flat, StringComparison.Ordinal);
            Assert.Contains("with the consent: permitted (disclosure.part2-consent", flat, StringComparison.Ordinal);
            Assert.Contains("obligations: RedisclosureNotice, AccountDisclosure", flat, StringComparison.Ordinal);
            Assert.Contains("redisclosure notice (42 CFR 2.32)", flat, StringComparison.Ordinal);
            Assert.Contains("withheld: 1 record of the category PsychotherapyNote is not included", flat, StringComparison.Ordinal);
            Assert.DoesNotContain("transference themes", flat.Split("asks for a copy of her record")[1], StringComparison.Ordinal);
            Assert.Contains("with ETREAT and a reason: permitted (break-glass.emergency-access)", flat, StringComparison.Ordinal);
            Assert.Contains("break-the-glass access(es) pending review", flat, StringComparison.Ordinal);
            Assert.Contains("Pending reviews: 0", flat, StringComparison.Ordinal);
            Assert.Contains("before: verified", flat, StringComparison.Ordinal);
            Assert.Contains("caught — Audit trail verification FAILED: EditedRecord", flat, StringComparison.Ordinal);
            Assert.Contains("AuthenticationFailed", flat, StringComparison.Ordinal);
            Assert.Contains("KeyDestroyed", flat, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }
}
