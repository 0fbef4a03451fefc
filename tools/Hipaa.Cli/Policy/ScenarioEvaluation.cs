using System.Globalization;
using Hipaa.Policy;

namespace Hipaa.Cli.Policy;

/// <summary>
/// <c>hipaa policy eval</c>: decides every scenario of every file, prints one JSON result line per scenario on the
/// output, and explains mismatches and malformed files on the error stream.
/// </summary>
internal static class ScenarioEvaluation
{
    public static int Run(IReadOnlyList<string> files, PolicyEngine engine, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);

        int evaluated = 0;
        int differing = 0;
        int malformed = 0;
        foreach (string file in files)
        {
            IReadOnlyList<Scenario> scenarios;
            try
            {
                scenarios = ScenarioReader.ReadFile(file);
            }
            catch (ScenarioFormatException ex)
            {
                error.WriteLine(ex.Message);
                malformed++;
                continue;
            }

            foreach (Scenario scenario in scenarios)
            {
                AccessDecision decision;
                try
                {
                    decision = engine.Decide(scenario.Request);
                }
                catch (ArgumentException ex)
                {
                    error.WriteLine($"{file}: scenario '{scenario.Name}': the engine rejected the request: {ex.Message}");
                    malformed++;
                    continue;
                }

                bool matches = decision.Outcome == scenario.ExpectedOutcome && scenario.ExpectedObligations.SetEquals(decision.Obligations);
                output.WriteLine(ScenarioResultFormatter.Format(scenario.Name, decision, matches));
                evaluated++;
                if (!matches)
                {
                    differing++;
                    error.WriteLine(
                        $"{file}: scenario '{scenario.Name}' expected {Describe(scenario.ExpectedOutcome, scenario.ExpectedObligations.Order())} "
                        + $"but the engine decided {Describe(decision.Outcome, decision.Obligations)} by rule {decision.Rule.Id}.");
                }
            }
        }

        error.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{evaluated} scenario(s) evaluated: {evaluated - differing} match, {differing} differ; {malformed} malformed file(s) or scenario(s)."));
        return malformed > 0 ? ExitCodes.InvalidInput
            : differing > 0 ? ExitCodes.CheckFailed
            : ExitCodes.Success;
    }

    private static string Describe(AccessOutcome outcome, IEnumerable<Obligation> obligations) =>
        $"{outcome} [{string.Join(", ", obligations)}]";
}
