using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Hipaa.Policy;

namespace Hipaa.Cli.Policy;

/// <summary>
/// Formats one result line exactly as conformance/README.md shows it:
/// <c>{"name": "...", "decision": "Permit", "obligations": [...], "reasons": ["rule-id: sentence"], "matches": true}</c>.
/// </summary>
internal static class ScenarioResultFormatter
{
    public static string Format(string name, AccessDecision decision, bool matches)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(decision);
        var line = new StringBuilder(256);
        line.Append("{\"name\": ").Append(Quote(name))
            .Append(", \"decision\": ").Append(Quote(decision.Outcome.ToString()))
            .Append(", \"obligations\": ");
        AppendArray(line, decision.Obligations.Select(o => o.ToString()));
        line.Append(", \"reasons\": ");
        AppendArray(line, decision.Reasons.Select(r => r.ToString()));
        line.Append(", \"matches\": ").Append(matches ? "true" : "false").Append('}');
        return line.ToString();
    }

    private static void AppendArray(StringBuilder line, IEnumerable<string> items)
    {
        line.Append('[');
        bool first = true;
        foreach (string item in items)
        {
            if (!first)
            {
                line.Append(", ");
            }

            line.Append(Quote(item));
            first = false;
        }

        line.Append(']');
    }

    // Relaxed escaping keeps apostrophes and non-ASCII names readable; the output is a console line, never HTML.
    private static string Quote(string value) => $"\"{JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping)}\"";
}
