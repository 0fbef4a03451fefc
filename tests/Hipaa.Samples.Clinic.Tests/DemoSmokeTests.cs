using Hipaa.Samples.Clinic.Demo;

namespace Hipaa.Samples.Clinic.Tests;

/// <summary>
/// <c>dotnet run --project samples/Hipaa.Samples.Clinic -- demo</c>, end to end in-process (what Program returns as the exit
/// code; in-process so that it shares the loaded EF Core with the other tests): it returns 0 and tells each part of the story.
/// </summary>
public sealed class DemoSmokeTests
{
    [Fact]
    public async Task Demo_RunEndToEnd_ReturnsExitCodeZeroAndTellsEveryStep()
    {
        string data = Path.Combine(Path.GetTempPath(), "hipaa-clinic-demo-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var output = new StringWriter();
            int exitCode = await ClinicDemo.RunAsync(ClinicSettings.Parse(["--data", data]), output);
            string text = output.ToString();

            Assert.True(exitCode == 0, $"exit {exitCode}\n{text}");
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
