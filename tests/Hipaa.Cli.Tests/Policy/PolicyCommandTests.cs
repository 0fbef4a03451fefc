using System.Text.Json;

namespace Hipaa.Cli.Tests.Policy;

public sealed class PolicyCommandTests
{
    [Fact]
    public void Eval_SharedConformanceScenarios_EveryScenarioMatchesAndExitsZero()
    {
        string file = CliRun.Conformance("default-catalog.json");
        int scenarios = CountScenarios(file);

        CliRun run = CliRun.Of("policy", "eval", file);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.Equal(scenarios, run.OutputLines.Length);
        Assert.All(run.OutputLines, line => Assert.True(ParseLine(line).GetProperty("matches").GetBoolean(), line));
    }

    [Fact]
    public void Eval_ExtraScenarios_EveryScenarioMatchesAndExitsZero()
    {
        string file = CliRun.Conformance("extra-scenarios.json");
        int scenarios = CountScenarios(file);

        CliRun run = CliRun.Of("policy", "eval", file);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.True(scenarios >= 40, $"extra-scenarios.json has only {scenarios} scenarios.");
        Assert.Equal(scenarios, run.OutputLines.Length);
        Assert.All(run.OutputLines, line => Assert.True(ParseLine(line).GetProperty("matches").GetBoolean(), line));
    }

    [Fact]
    public void Eval_SeveralFiles_PrintsOneLinePerScenarioInFileOrder()
    {
        string[] files = CliRun.AllConformanceFiles();
        string[] expectedNames = [.. files.SelectMany(ScenarioNames)];

        CliRun run = CliRun.Of(["policy", "eval", .. files]);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(expectedNames, run.OutputLines.Select(line => ParseLine(line).GetProperty("name").GetString()));
    }

    [Fact]
    public void Eval_ResultLine_HasTheDocumentedShape()
    {
        CliRun run = CliRun.Of("policy", "eval", CliRun.Conformance("default-catalog.json"));

        string line = run.OutputLines.Single(l => l.Contains("\"Part 2 record disclosed to named provider under consent\"", StringComparison.Ordinal));
        JsonElement result = ParseLine(line);
        Assert.Equal(["name", "decision", "obligations", "reasons", "matches"], result.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Permit", result.GetProperty("decision").GetString());
        Assert.Equal(["RedisclosureNotice", "AccountDisclosure"], result.GetProperty("obligations").EnumerateArray().Select(o => o.GetString()));
        string[] reasons = [.. result.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!)];
        Assert.StartsWith("disclosure.part2-consent: ", reasons[0], StringComparison.Ordinal);
        Assert.All(reasons, reason => Assert.Matches(@"^[a-z0-9.\-]+: [A-Z].*\.$", reason));
        Assert.StartsWith("{\"name\": \"Part 2 record disclosed", line, StringComparison.Ordinal);
        Assert.EndsWith(", \"matches\": true}", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_OutcomeDiffers_ExitsOneAndReportsTheScenario()
    {
        using var file = new TemporaryScenarioFile(TemporaryScenarioFile.Document(
            TemporaryScenarioFile.ValidScenario("matching"),
            TemporaryScenarioFile.ValidScenario("wrong expectation", decision: "Deny")));

        CliRun run = CliRun.Of("policy", "eval", file.Path);

        Assert.Equal(ExitCodes.CheckFailed, run.ExitCode);
        Assert.Equal(2, run.OutputLines.Length);
        Assert.True(ParseLine(run.OutputLines[0]).GetProperty("matches").GetBoolean());
        JsonElement second = ParseLine(run.OutputLines[1]);
        Assert.Equal("Permit", second.GetProperty("decision").GetString());
        Assert.False(second.GetProperty("matches").GetBoolean());
        Assert.Contains("'wrong expectation' expected Deny [] but the engine decided Permit []", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_ObligationsDiffer_ExitsOne()
    {
        using var file = new TemporaryScenarioFile(TemporaryScenarioFile.Document(
            TemporaryScenarioFile.ValidScenario("extra obligation", obligations: "\"AccountDisclosure\"")));

        CliRun run = CliRun.Of("policy", "eval", file.Path);

        Assert.Equal(ExitCodes.CheckFailed, run.ExitCode);
        Assert.False(ParseLine(run.OutputLines.Single()).GetProperty("matches").GetBoolean());
    }

    [Fact]
    public void Eval_MissingRequiredField_ExitsTwoNamingFileScenarioAndField()
    {
        string scenario = TemporaryScenarioFile.ValidScenario("no category").Replace("\"category\": \"ProgressNote\", ", string.Empty, StringComparison.Ordinal);
        using var file = new TemporaryScenarioFile(TemporaryScenarioFile.Document(TemporaryScenarioFile.ValidScenario("fine"), scenario), "broken.json");

        CliRun run = CliRun.Of("policy", "eval", file.Path);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains($"{file.Path}: scenario #2 'no category': field 'resource.category' is required.", run.Error, StringComparison.Ordinal);
        Assert.Empty(run.OutputLines);
    }

    [Theory]
    [InlineData("\"action\": \"Read\"", "\"action\": \"Peek\"", "field 'action' 'Peek' is not one of Read, Create, Update, Delete, Export, Disclose")]
    [InlineData("\"at\": \"2026-03-02T15:00:00Z\"", "\"at\": \"yesterday\"", "field 'at' 'yesterday' is not an ISO-8601 date")]
    [InlineData("\"roles\": [\"Therapist\"]", "\"roles\": \"Therapist\"", "field 'actor.roles' must be an array of strings, not a string")]
    [InlineData("\"careTeamOf\": [\"p1\"]", "\"careTeamOf\": [\"p1\", 7]", "field 'actor.careTeamOf[1]' must be a non-empty string, not a number")]
    [InlineData("\"decision\": \"Permit\"", "\"decision\": \"Allow\"", "field 'expect.decision' 'Allow' is not one of Deny, Permit")]
    [InlineData("\"obligations\": []", "\"obligations\": [\"Notify\"]", "field 'expect.obligations[0]' 'Notify' is not one of")]
    [InlineData("\"consents\": []", "\"consents\": [{ \"id\": \"c1\", \"kind\": \"Verbal\", \"from\": \"2026-01-01T00:00:00Z\" }]", "field 'consents[0].kind' 'Verbal' is not one of")]
    [InlineData("\"consents\": []", "\"consents\": [{ \"id\": \"c1\", \"kind\": \"Part2\" }]", "field 'consents[0].from' is required")]
    [InlineData("\"consents\": []", "\"consents\": [], \"courtOrder\": { \"kind\": \"Sheriff\" }", "field 'courtOrder.kind' 'Sheriff' is not one of Hipaa, Part2")]
    [InlineData("\"patient\": \"p1\"", "\"patient\": \"\"", "field 'patient' must not be empty")]
    [InlineData("\"category\": \"ProgressNote\"", "\"category\": \"*\"", "field 'resource.category' is the wildcard")]
    [InlineData("\"shared\": false", "\"shared\": \"no\"", "field 'actor.shared' must be true or false, not a string")]
    public void Eval_MalformedField_ExitsTwoNamingTheField(string valid, string broken, string expectedMessage)
    {
        string scenario = TemporaryScenarioFile.ValidScenario("the scenario")
            .Replace("\"careTeamOf\": [\"p1\"] }", "\"careTeamOf\": [\"p1\"], \"shared\": false }", StringComparison.Ordinal);
        Assert.Contains(valid, scenario, StringComparison.Ordinal);
        using var file = new TemporaryScenarioFile(TemporaryScenarioFile.Document(scenario.Replace(valid, broken, StringComparison.Ordinal)));

        CliRun run = CliRun.Of("policy", "eval", file.Path);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains($"{file.Path}: scenario #1 'the scenario': {expectedMessage}", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_ScenarioWithoutName_ExitsTwoNamingItsPosition()
    {
        string scenario = TemporaryScenarioFile.ValidScenario("x").Replace("\"name\": \"x\",", string.Empty, StringComparison.Ordinal);
        using var file = new TemporaryScenarioFile(TemporaryScenarioFile.Document(scenario));

        CliRun run = CliRun.Of("policy", "eval", file.Path);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains($"{file.Path}: scenario #1: field 'name' is required.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_InvalidJson_ExitsTwoWithLine()
    {
        using var file = new TemporaryScenarioFile("{ \"scenarios\": [\n  { \"name\": \"x\", }\n] }");

        CliRun run = CliRun.Of("policy", "eval", file.Path);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains($"{file.Path}: not valid JSON at line 2", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_DocumentWithoutScenarios_ExitsTwo()
    {
        using var file = new TemporaryScenarioFile("{ \"tests\": [] }");

        CliRun run = CliRun.Of("policy", "eval", file.Path);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains($"{file.Path}: field 'scenarios' must be an array of scenarios.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_MissingFile_ExitsTwoNamingTheFile()
    {
        string missing = Path.Combine(Path.GetTempPath(), "hipaa-no-such-file-" + Guid.NewGuid().ToString("N") + ".json");

        CliRun run = CliRun.Of("policy", "eval", missing);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains($"{missing}: cannot read the file", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_MalformedFileAmongValidOnes_EvaluatesTheValidOnesAndExitsTwo()
    {
        using var broken = new TemporaryScenarioFile("not json");
        string valid = CliRun.Conformance("default-catalog.json");

        CliRun run = CliRun.Of("policy", "eval", broken.Path, valid);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Equal(CountScenarios(valid), run.OutputLines.Length);
    }

    [Fact]
    public void Eval_MismatchAndMalformedFile_MalformedWinsWithExitTwo()
    {
        using var broken = new TemporaryScenarioFile("[]");
        using var mismatch = new TemporaryScenarioFile(TemporaryScenarioFile.Document(TemporaryScenarioFile.ValidScenario("wrong", decision: "Deny")));

        CliRun run = CliRun.Of("policy", "eval", mismatch.Path, broken.Path);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("must be an object", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_NoFiles_ExitsTwoWithUsageHint()
    {
        CliRun run = CliRun.Of("policy", "eval");

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("hipaa --help", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_NoCommand_ExitsTwo()
    {
        CliRun run = CliRun.Of();

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.NotEmpty(run.Error);
    }

    [Fact]
    public void Run_Help_ListsThePolicyCommandAndExitsZero()
    {
        CliRun run = CliRun.Of("--help");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("policy", run.Output, StringComparison.Ordinal);
    }

    private static JsonElement ParseLine(string line)
    {
        using JsonDocument document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }

    private static int CountScenarios(string file) => ScenarioNames(file).Count();

    private static IEnumerable<string> ScenarioNames(string file)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(file));
        return [.. document.RootElement.GetProperty("scenarios").EnumerateArray().Select(s => s.GetProperty("name").GetString()!)];
    }
}
