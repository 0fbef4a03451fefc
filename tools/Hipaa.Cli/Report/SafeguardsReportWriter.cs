using System.Globalization;
using System.Text.Json;
using Hipaa.Cli.Audit;
using Hipaa.Cli.Inventory;
using Hipaa.Policy;

namespace Hipaa.Cli.Report;

/// <summary>
/// Writes the safeguards inventory (<c>hipaa report safeguards</c>) as markdown or JSON. Both formats are documented in
/// docs/compliance-tools.md and stable: same input, same bytes (no time stamps, model order by name).
/// </summary>
internal static class SafeguardsReportWriter
{
    /// <summary>The JSON document's <c>format</c> value; changes only with an incompatible change of the shape.</summary>
    public const string JsonFormat = "hipaa-safeguards/1";

    public static void WriteMarkdown(TextWriter output, string assemblyName, IReadOnlyList<ModelInventory> models, RoleMatrix matrix)
    {
        output.WriteLine($"# Safeguards inventory: {assemblyName}");
        output.WriteLine();
        output.WriteLine("Built by `hipaa report safeguards` from the EF Core model of each DbContext, as Hipaa.Sdk sees it. It covers what the SDK");
        output.WriteLine("protects through `UseHipaa`; PHI the application keeps elsewhere (files, other stores, logs) is not seen.");
        foreach (ModelInventory model in models)
        {
            output.WriteLine();
            output.WriteLine($"## {model.Context}");
            output.WriteLine();
            output.WriteLine($"- Model built through: {Construction(model.Construction)}");
            output.WriteLine($"- Field encryption: {(model.Encryption ? "on" : "OFF")}; data-key scope: {model.KeyScope} ({(model.KeyScopeConfigured ? "the application's configuration" : "the SDK's default; the tool did not see the application's FieldEncryptionOptions")})");
            output.WriteLine($"- Query auditing: {(model.Auditing ? "on (reads and writes of PHI entities are recorded in hipaa_audit)" : "OFF")}");
            List<EntityInventory> phi = [.. model.Entities.Where(e => e.Category is not null)];
            int encrypted = phi.Sum(e => e.Properties.Count(p => p.Encrypted));
            int plaintext = phi.Sum(e => PlaintextValues(e).Count());
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- {phi.Count} PHI entities; {encrypted} encrypted properties; {plaintext} PHI values stored in plaintext"));
            output.WriteLine();
            output.WriteLine("### PHI entities");
            output.WriteLine();
            output.WriteLine("| entity | table | category | labels | patient attribution | audited reads | audited writes | encrypted |");
            output.WriteLine("|---|---|---|---|---|---|---|---|");
            foreach (EntityInventory e in model.Entities)
            {
                string attribution = e.PatientId is not null ? $"per patient ({e.PatientId})" : e.OwnedBy is not null ? $"as its owner {e.OwnedBy}" : "unattributed (no [PatientId])";
                string category = e.Category ?? "(not PHI: encrypted only)";
                output.WriteLine($"| {e.Name} | {e.Table} | {category} | {Join(e.Labels)} | {attribution} | {YesNo(e.AuditedReads)} | {YesNo(e.AuditedWrites)} | {string.Join(", ", e.Properties.Where(p => p.Encrypted).Select(p => p.Name)).OrDash()} |");
            }

            output.WriteLine();
            output.WriteLine("### Properties");
            output.WriteLine();
            output.WriteLine("| entity | property | column | type | category | encrypted | key scope | searchable | role |");
            output.WriteLine("|---|---|---|---|---|---|---|---|---|");
            foreach (EntityInventory e in model.Entities)
            {
                foreach (PropertyInventory p in e.Properties)
                {
                    output.WriteLine($"| {e.Name} | {p.Name} | {p.Column} | {p.Type} | {e.Category ?? "-"} | {(p.Encrypted ? "yes" : "no")} | {p.KeyScope.OrDash()} | {(p.Searchable ? "yes (blind index)" : "no")} | {p.Role.OrDash()} |");
                }
            }

            output.WriteLine();
            output.WriteLine("### PHI stored in plaintext");
            output.WriteLine();
            List<string> values = [.. phi.SelectMany(e => PlaintextValues(e).Select(p => $"{e.Name}.{p.Name}"))];
            output.WriteLine(values.Count == 0
                ? "None: every value of a PHI entity that is not a key or patient id is encrypted."
                : "Values of PHI entities that are not encrypted at rest (audited and decided by policy, but readable in a database dump): " + string.Join(", ", values) + ".");
            output.WriteLine();
            output.WriteLine("### Entity types without safeguards");
            output.WriteLine();
            output.WriteLine(model.UnprotectedEntities.Count == 0
                ? "None: every entity type of the model is marked [Phi] or has encrypted properties."
                : "Neither [Phi] nor encrypted — not audited, not decided by policy, stored in plaintext; check that none holds PHI: " + string.Join(", ", model.UnprotectedEntities) + ".");
        }

        output.WriteLine();
        output.WriteLine("## Role matrix (the policy engine's default catalog)");
        output.WriteLine();
        output.WriteLine("Read from `RoleCatalog.CreateDefault()`: R read, W create/update, D delete, X export/disclose, (m) behind a field mask; a letter");
        output.WriteLine("means the matrix grants it for at least one purpose of use (the JSON format lists them). The engine's legal rules apply on top:");
        output.WriteLine("psychotherapy notes to their author only, Part 2 consent, break-the-glass, care-team membership.");
        output.WriteLine();
        output.WriteLine("| role | " + string.Join(" | ", matrix.Categories) + " |");
        output.WriteLine("|---|" + string.Concat(matrix.Categories.Select(_ => "---|")));
        foreach (string role in matrix.Roles)
        {
            output.WriteLine($"| {role} | " + string.Join(" | ", matrix.Categories.Select(c => CellText(matrix.Cell(role, c)))) + " |");
        }
    }

    public static void WriteJson(TextWriter output, string assemblyName, IReadOnlyList<ModelInventory> models, RoleMatrix matrix)
    {
        using var stream = new TextWriterStream(output);
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("format", JsonFormat);
            json.WriteString("assembly", assemblyName);
            json.WriteStartArray("contexts");
            foreach (ModelInventory model in models)
            {
                json.WriteStartObject();
                json.WriteString("context", model.Context);
                json.WriteString("construction", model.Construction);
                json.WriteBoolean("encryption", model.Encryption);
                json.WriteBoolean("auditing", model.Auditing);
                json.WriteString("keyScope", model.KeyScope.ToString());
                json.WriteBoolean("keyScopeConfigured", model.KeyScopeConfigured);
                json.WriteStartArray("entities");
                foreach (EntityInventory e in model.Entities)
                {
                    json.WriteStartObject();
                    json.WriteString("name", e.Name);
                    json.WriteString("clrType", e.ClrType);
                    json.WriteString("table", e.Table);
                    json.WriteString("category", e.Category);
                    WriteStrings(json, "labels", e.Labels);
                    json.WriteString("patientId", e.PatientId);
                    json.WriteString("ownedBy", e.OwnedBy);
                    json.WriteBoolean("auditedReads", e.AuditedReads);
                    json.WriteBoolean("auditedWrites", e.AuditedWrites);
                    json.WriteStartArray("properties");
                    foreach (PropertyInventory p in e.Properties)
                    {
                        json.WriteStartObject();
                        json.WriteString("name", p.Name);
                        json.WriteString("column", p.Column);
                        json.WriteString("type", p.Type);
                        json.WriteBoolean("encrypted", p.Encrypted);
                        json.WriteString("keyScope", p.KeyScope);
                        json.WriteBoolean("searchable", p.Searchable);
                        json.WriteString("role", p.Role);
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                WriteStrings(json, "unprotectedEntities", model.UnprotectedEntities);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("roleMatrix");
            json.WriteString("catalog", "default");
            WriteStrings(json, "categories", matrix.Categories);
            json.WriteStartArray("roles");
            foreach (string role in matrix.Roles)
            {
                json.WriteStartObject();
                json.WriteString("role", role);
                json.WriteString("traits", matrix.Traits[role].ToString());
                json.WriteStartArray("grants");
                foreach (string category in matrix.Categories)
                {
                    RoleMatrixCell cell = matrix.Cell(role, category);
                    if (cell.Purposes.Count == 0)
                    {
                        continue;
                    }

                    json.WriteStartObject();
                    json.WriteString("category", category);
                    json.WriteString("letters", cell.Letters);
                    json.WriteBoolean("fieldMask", cell.FieldMask);
                    json.WriteStartObject("actions");
                    foreach (PhiAction action in RoleMatrix.Actions.Where(cell.Purposes.ContainsKey))
                    {
                        WriteStrings(json, action.ToString(), cell.Purposes[action]);
                    }

                    json.WriteEndObject();
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        stream.WriteByte((byte)'\n');
    }

    /// <summary>The values of a PHI entity that are neither encrypted nor structural (key, patient id, author id).</summary>
    public static IEnumerable<PropertyInventory> PlaintextValues(EntityInventory entity) =>
        entity.Properties.Where(p => !p.Encrypted && p.Role is null);

    private static string Construction(string construction) => construction switch
    {
        "design-time-factory" => "the assembly's IDesignTimeDbContextFactory (the application's own configuration)",
        "options-constructor" => "its DbContextOptions constructor, given SQLite in memory and UseHipaa with encryption and auditing at the SDK's defaults (no database opened)",
        _ => "its parameterless constructor (the context's own OnConfiguring)",
    };

    private static string CellText(RoleMatrixCell cell) => cell.Letters.Length == 0 ? "-" : cell.Letters + (cell.FieldMask ? " (m)" : string.Empty);

    private static string YesNo(bool value) => value ? "yes" : "NO";

    private static string Join(IReadOnlyList<string> values) => values.Count == 0 ? "-" : string.Join(", ", values);

    private static string OrDash(this string? value) => string.IsNullOrEmpty(value) ? "-" : value;

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (string value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }
}
