namespace Hipaa.Cli.Tests.Policy;

/// <summary>A scenario file written to a temporary directory for one test, deleted afterwards.</summary>
internal sealed class TemporaryScenarioFile : IDisposable
{
    private readonly string _directory;

    public TemporaryScenarioFile(string json, string fileName = "scenarios.json")
    {
        _directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hipaa-cli-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        Path = System.IO.Path.Combine(_directory, fileName);
        File.WriteAllText(Path, json);
    }

    public string Path { get; }

    /// <summary>One valid scenario (a therapist reading a progress note of a care-team patient, expected Permit).</summary>
    public static string ValidScenario(string name = "therapist reads progress note", string decision = "Permit", string obligations = "") => $$"""
        {
          "name": "{{name}}",
          "at": "2026-03-02T15:00:00Z",
          "actor": { "id": "u-ther-1", "roles": ["Therapist"], "organization": "practice", "careTeamOf": ["p1"] },
          "patient": "p1",
          "resource": { "category": "ProgressNote", "labels": [] },
          "action": "Read",
          "purpose": "TREAT",
          "consents": [],
          "expect": { "decision": "{{decision}}", "obligations": [{{obligations}}] }
        }
        """;

    public static string Document(params string[] scenarios) => $$"""{ "scenarios": [ {{string.Join(",\n", scenarios)}} ] }""";

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
