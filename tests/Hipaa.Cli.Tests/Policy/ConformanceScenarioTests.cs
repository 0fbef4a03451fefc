using Hipaa.Cli.Policy;
using Hipaa.Policy;

namespace Hipaa.Cli.Tests.Policy;

/// <summary>Every scenario of every conformance file as its own test case, so a failure names the scenario.</summary>
public sealed class ConformanceScenarioTests
{
    public static TheoryData<string, string> Scenarios()
    {
        var data = new TheoryData<string, string>();
        foreach (string file in CliRun.AllConformanceFiles())
        {
            foreach (Scenario scenario in ScenarioReader.ReadFile(file))
            {
                data.Add(Path.GetFileName(file), scenario.Name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Decide_ConformanceScenario_MatchesExpectedDecisionAndObligations(string file, string name)
    {
        Scenario scenario = ScenarioReader.ReadFile(CliRun.Conformance(file)).Single(s => s.Name == name);

        AccessDecision decision = PolicyEngine.Default.Decide(scenario.Request);

        Assert.True(
            scenario.ExpectedOutcome == decision.Outcome,
            $"expected {scenario.ExpectedOutcome}, got {decision.Outcome} by {decision.Rule}");
        Assert.Equal(scenario.ExpectedObligations.Order(), decision.Obligations.Order());
        Assert.NotEmpty(decision.Reasons);
        Assert.Same(decision.Rule, decision.Reasons[0]);
    }

    [Fact]
    public void ConformanceFiles_SharedAndExtra_ArePresent()
    {
        string[] names = [.. CliRun.AllConformanceFiles().Select(Path.GetFileName)!];

        Assert.Contains("default-catalog.json", names);
        Assert.Contains("extra-scenarios.json", names);
    }

    [Fact]
    public void ConformanceFiles_ScenarioNames_AreUniqueAcrossFiles()
    {
        string[] names = [.. CliRun.AllConformanceFiles().SelectMany(f => ScenarioReader.ReadFile(f)).Select(s => s.Name)];

        Assert.Equal(names.Length, names.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void RepositoryConformanceFolder_SharedScenarioFiles_AreIdenticalToTheTestCopies()
    {
        string repository = FindRepositoryRoot();
        string[] repositoryFiles = [.. Directory.GetFiles(Path.Combine(repository, "conformance", "policy"), "*.json").Order(StringComparer.Ordinal)];

        Assert.NotEmpty(repositoryFiles);
        foreach (string repositoryFile in repositoryFiles)
        {
            string testCopy = CliRun.Conformance(Path.GetFileName(repositoryFile));
            Assert.True(File.Exists(testCopy), $"{Path.GetFileName(repositoryFile)} is in conformance/policy but not in the test project's Conformance folder.");
            Assert.Equal(File.ReadAllText(repositoryFile), File.ReadAllText(testCopy));
        }
    }

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Hipaa.Sdk.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Hipaa.Sdk.sln above {AppContext.BaseDirectory}; run the tests from the repository.");
    }
}
