using System.Globalization;
using System.Text.Json;
using Hipaa.Policy;

namespace Hipaa.Cli.Policy;

/// <summary>
/// Reads scenario files in the format of conformance/README.md. Unknown fields are ignored; missing required fields,
/// values of the wrong type, unknown actions, consent kinds, court-order kinds, decisions and obligations, and dates
/// that are not ISO-8601 are errors naming the file, the scenario and the field.
/// </summary>
internal static class ScenarioReader
{
    private static readonly string[] s_dateFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd",
    ];

    public static IReadOnlyList<Scenario> ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ScenarioFormatException($"{path}: cannot read the file: {ex.Message}", ex);
        }

        return Read(path, json);
    }

    public static IReadOnlyList<Scenario> Read(string file, string json)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            string where = ex.LineNumber is { } line
                ? string.Create(CultureInfo.InvariantCulture, $" at line {line + 1}, position {(ex.BytePositionInLine ?? 0) + 1}")
                : string.Empty;
            throw new ScenarioFormatException($"{file}: not valid JSON{where}: {ex.Message}", ex);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ScenarioFormatException($"{file}: the document must be an object {{ \"scenarios\": [ ... ] }}, not {Describe(root)}.");
            }

            if (!root.TryGetProperty("scenarios", out JsonElement list) || list.ValueKind != JsonValueKind.Array)
            {
                throw new ScenarioFormatException($"{file}: field 'scenarios' must be an array of scenarios.");
            }

            var scenarios = new List<Scenario>(list.GetArrayLength());
            int index = 0;
            foreach (JsonElement element in list.EnumerateArray())
            {
                scenarios.Add(new Context(file, index).ReadScenario(element));
                index++;
            }

            return scenarios;
        }
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    /// <summary>Where in the file the reader is, for error messages.</summary>
    private sealed class Context(string file, int index)
    {
        private string? _name;

        public Scenario ReadScenario(JsonElement scenario)
        {
            if (scenario.ValueKind != JsonValueKind.Object)
            {
                throw Error(null, $"a scenario must be an object, not {Describe(scenario)}");
            }

            _name = RequiredString(scenario, "name");
            DateTimeOffset at = RequiredDate(scenario, "at");
            string patient = RequiredString(scenario, "patient");

            JsonElement actor = RequiredObject(scenario, "actor");
            JsonElement resource = RequiredObject(scenario, "resource");
            JsonElement expect = RequiredObject(scenario, "expect");

            var request = new AccessRequest
            {
                Actor = new Actor(
                    OptionalString(actor, "id", "actor.id", allowEmpty: true),
                    OptionalStringArray(actor, "roles", "actor.roles"),
                    OptionalString(actor, "organization", "actor.organization"),
                    OptionalStringArray(actor, "careTeamOf", "actor.careTeamOf"),
                    OptionalBoolean(actor, "shared", "actor.shared"),
                    OptionalStringArray(actor, "representativeOf", "actor.representativeOf")),
                PatientId = patient,
                Category = ReadCategory(resource),
                Labels = [.. OptionalStringArray(resource, "labels", "resource.labels").Select(code => new SensitivityLabel(code))],
                AuthorId = OptionalString(resource, "authorId", "resource.authorId"),
                Action = RequiredEnum<PhiAction>(scenario, "action", "action"),
                Purpose = new PurposeOfUse(RequiredString(scenario, "purpose")),
                Recipient = OptionalString(scenario, "recipient", "recipient"),
                BreakGlassReason = OptionalString(scenario, "breakGlassReason", "breakGlassReason", allowEmpty: true),
                Consents = ReadConsents(scenario, patient),
                CourtOrder = ReadCourtOrder(scenario),
                At = at,
            };

            var obligations = new HashSet<Obligation>();
            string[] expectedObligations = OptionalStringArray(expect, "obligations", "expect.obligations");
            for (int i = 0; i < expectedObligations.Length; i++)
            {
                obligations.Add(ParseEnum<Obligation>(expectedObligations[i], $"expect.obligations[{i}]"));
            }

            return new Scenario(_name, request, RequiredEnum<AccessOutcome>(expect, "decision", "expect.decision"), obligations);
        }

        private DataCategory ReadCategory(JsonElement resource)
        {
            var category = new DataCategory(RequiredString(resource, "category", "resource.category"));
            return category != DataCategory.All
                ? category
                : throw Error("resource.category", "is the wildcard \"*\", which only consents may use; name the record's own category");
        }

        private Consent[] ReadConsents(JsonElement scenario, string patient)
        {
            if (!TryGet(scenario, "consents", out JsonElement consents))
            {
                return [];
            }

            if (consents.ValueKind != JsonValueKind.Array)
            {
                throw Error("consents", $"must be an array of consents, not {Describe(consents)}");
            }

            var result = new List<Consent>(consents.GetArrayLength());
            int i = 0;
            foreach (JsonElement consent in consents.EnumerateArray())
            {
                string field = $"consents[{i}]";
                if (consent.ValueKind != JsonValueKind.Object)
                {
                    throw Error(field, $"must be an object, not {Describe(consent)}");
                }

                string id = OptionalString(consent, "id", $"{field}.id") ?? $"#{i + 1}";
                result.Add(new Consent(
                    id,
                    patient,
                    RequiredEnum<ConsentKind>(consent, "kind", $"{field}.kind"),
                    OptionalStringArray(consent, "recipients", $"{field}.recipients"),
                    OptionalStringArray(consent, "purposes", $"{field}.purposes").Select(code => new PurposeOfUse(code)),
                    OptionalStringArray(consent, "categories", $"{field}.categories").Select(name => new DataCategory(name)),
                    RequiredDate(consent, "from", $"{field}.from"),
                    OptionalDate(consent, "until", $"{field}.until"),
                    OptionalDate(consent, "revokedAt", $"{field}.revokedAt")));
                i++;
            }

            return [.. result];
        }

        private CourtOrder? ReadCourtOrder(JsonElement scenario)
        {
            if (!TryGet(scenario, "courtOrder", out JsonElement order))
            {
                return null;
            }

            if (order.ValueKind != JsonValueKind.Object)
            {
                throw Error("courtOrder", $"must be an object {{ \"kind\": \"Part2\" | \"Hipaa\", \"covers\": [...] }}, not {Describe(order)}");
            }

            return new CourtOrder(
                RequiredEnum<CourtOrderKind>(order, "kind", "courtOrder.kind"),
                OptionalStringArray(order, "covers", "courtOrder.covers").Select(code => new SensitivityLabel(code)));
        }

        private static bool TryGet(JsonElement parent, string property, out JsonElement value) =>
            parent.TryGetProperty(property, out value) && value.ValueKind != JsonValueKind.Null;

        private JsonElement RequiredObject(JsonElement parent, string property)
        {
            if (!TryGet(parent, property, out JsonElement value))
            {
                throw Error(property, "is required");
            }

            return value.ValueKind == JsonValueKind.Object ? value : throw Error(property, $"must be an object, not {Describe(value)}");
        }

        private string RequiredString(JsonElement parent, string property, string? field = null)
        {
            field ??= property;
            string? value = OptionalString(parent, property, field);
            return value ?? throw Error(field, "is required");
        }

        private string? OptionalString(JsonElement parent, string property, string field, bool allowEmpty = false)
        {
            if (!TryGet(parent, property, out JsonElement value))
            {
                return null;
            }

            if (value.ValueKind != JsonValueKind.String)
            {
                throw Error(field, $"must be a string, not {Describe(value)}");
            }

            string text = value.GetString()!;
            return allowEmpty || !string.IsNullOrWhiteSpace(text) ? text : throw Error(field, "must not be empty");
        }

        private bool OptionalBoolean(JsonElement parent, string property, string field)
        {
            if (!TryGet(parent, property, out JsonElement value))
            {
                return false;
            }

            return value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Error(field, $"must be true or false, not {Describe(value)}"),
            };
        }

        private string[] OptionalStringArray(JsonElement parent, string property, string field)
        {
            if (!TryGet(parent, property, out JsonElement value))
            {
                return [];
            }

            if (value.ValueKind != JsonValueKind.Array)
            {
                throw Error(field, $"must be an array of strings, not {Describe(value)}");
            }

            var items = new string[value.GetArrayLength()];
            int i = 0;
            foreach (JsonElement item in value.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
                {
                    throw Error($"{field}[{i}]", $"must be a non-empty string, not {(item.ValueKind == JsonValueKind.String ? "an empty string" : Describe(item))}");
                }

                items[i++] = item.GetString()!;
            }

            return items;
        }

        private DateTimeOffset RequiredDate(JsonElement parent, string property, string? field = null)
        {
            field ??= property;
            return OptionalDate(parent, property, field) ?? throw Error(field, "is required");
        }

        private DateTimeOffset? OptionalDate(JsonElement parent, string property, string field)
        {
            string? text = OptionalString(parent, property, field);
            if (text is null)
            {
                return null;
            }

            return DateTimeOffset.TryParseExact(
                text,
                s_dateFormats,
                CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out DateTimeOffset value)
                ? value
                : throw Error(field, $"'{text}' is not an ISO-8601 date and time such as 2026-03-02T15:00:00Z");
        }

        private TEnum RequiredEnum<TEnum>(JsonElement parent, string property, string field)
            where TEnum : struct, Enum
        {
            string text = RequiredString(parent, property, field);
            return ParseEnum<TEnum>(text, field);
        }

        private TEnum ParseEnum<TEnum>(string text, string field)
            where TEnum : struct, Enum
        {
            foreach (string name in Enum.GetNames<TEnum>())
            {
                if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
                {
                    return Enum.Parse<TEnum>(name);
                }
            }

            throw Error(field, $"'{text}' is not one of {string.Join(", ", Enum.GetNames<TEnum>())}");
        }

        private ScenarioFormatException Error(string? field, string problem)
        {
            string scenario = _name is null
                ? string.Create(CultureInfo.InvariantCulture, $"scenario #{index + 1}")
                : string.Create(CultureInfo.InvariantCulture, $"scenario #{index + 1} '{_name}'");
            return new ScenarioFormatException(field is null
                ? $"{file}: {scenario}: {problem}."
                : $"{file}: {scenario}: field '{field}' {problem}.");
        }
    }
}
