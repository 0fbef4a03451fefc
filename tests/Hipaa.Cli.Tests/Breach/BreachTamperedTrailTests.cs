using Hipaa.Cli.Tests.Policy;

namespace Hipaa.Cli.Tests.Breach;

/// <summary>A breach assessment on a trail someone changed says so loudly and exits 5.</summary>
public sealed class BreachTamperedTrailTests : IDisposable
{
    private readonly ClinicTrail _trail = new();

    public void Dispose() => _trail.Dispose();

    [Fact]
    public void Assess_EditedTrail_ReportsVerificationFailedNamesTheRecordAndExitsFive()
    {
        _trail.Execute("UPDATE hipaa_audit SET actor_id = 'u-someone-else' WHERE chain_position = 2");

        CliRun markdown = CliRun.Of(_trail.Assess("--user", "u-billing"));
        CliRun json = CliRun.Of(_trail.Assess("--user", "u-billing", "--format", "json"));

        Assert.Equal((5, 5), (markdown.ExitCode, json.ExitCode));
        Assert.Contains("> **WARNING: THE AUDIT TRAIL DID NOT VERIFY.** Verification FAILED: EditedRecord at position 2", markdown.Output, StringComparison.Ordinal);
        Assert.Contains("warning: the audit trail did not verify", markdown.Error, StringComparison.Ordinal);
        using var document = System.Text.Json.JsonDocument.Parse(json.Output);
        Assert.False(document.RootElement.GetProperty("trail").GetProperty("verified").GetBoolean());
    }
}
