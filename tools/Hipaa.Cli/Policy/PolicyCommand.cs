using System.CommandLine;
using Hipaa.Policy;

namespace Hipaa.Cli.Policy;

/// <summary>The <c>hipaa policy</c> command group.</summary>
internal static class PolicyCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("FILE")
        {
            Description = "Scenario files in the format of conformance/README.md ({ \"scenarios\": [ ... ] }).",
            Arity = ArgumentArity.OneOrMore,
        };
        var eval = new Command(
            "eval",
            "Decide every scenario with the default behavioral-health catalog and print one JSON result line per scenario. "
            + "Exit code 0: every outcome matches; 1: some outcome differs; 2: a file is malformed.")
        {
            files,
        };
        eval.SetAction(parsed => ScenarioEvaluation.Run(
            parsed.GetValue(files) ?? [],
            PolicyEngine.Default,
            parsed.InvocationConfiguration.Output,
            parsed.InvocationConfiguration.Error));

        return new Command("policy", "Evaluate the access policy.")
        {
            eval,
        };
    }
}
