using Hipaa.Cli.Policy;
using Hipaa.Policy;

namespace Hipaa.Cli.Tests.Policy;

public sealed class ScenarioResultFormatterTests
{
    [Fact]
    public void Format_DenyDecision_PrintsTheDocumentedLine()
    {
        AccessDecision decision = PolicyEngine.Default.Decide(new AccessRequest
        {
            Actor = new Actor(null, [WellKnownRoles.Therapist]),
            PatientId = "p1",
            Category = DataCategory.Demographics,
            Action = PhiAction.Read,
            Purpose = PurposeOfUse.Treatment,
            At = DateTimeOffset.UnixEpoch,
        });

        string line = ScenarioResultFormatter.Format("clinician's \"quoted\" name", decision, matches: false);

        Assert.Equal(
            "{\"name\": \"clinician's \\\"quoted\\\" name\", \"decision\": \"Deny\", \"obligations\": [], \"reasons\": [\"identity.unique-user: "
            + decision.Rule.Explanation + "\"], \"matches\": false}",
            line);
    }
}
