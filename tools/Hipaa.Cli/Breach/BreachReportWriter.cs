using System.Globalization;
using System.Text.Json;
using Hipaa.Cli.Audit;

namespace Hipaa.Cli.Breach;

/// <summary>
/// Writes a <see cref="BreachAssessment"/> as markdown or JSON (<c>hipaa-breach-assessment/1</c>). Both are documented in
/// docs/compliance-tools.md and stable: the same trail, key table, model and discovery date give the same bytes.
/// </summary>
internal static class BreachReportWriter
{
    /// <summary>The JSON document's <c>format</c> value; changes only with an incompatible change of the shape.</summary>
    public const string JsonFormat = "hipaa-breach-assessment/1";

    public static void WriteMarkdown(TextWriter output, BreachAssessment a)
    {
        output.WriteLine($"# Breach assessment: {Describe(a.Target)}");
        output.WriteLine();
        if (!a.Trail.Verified)
        {
            output.WriteLine($"> **WARNING: THE AUDIT TRAIL DID NOT VERIFY.** {a.Trail.Summary}");
            output.WriteLine("> This assessment rests on a trail that may have been changed: patients may be missing from it or added to it. Treat the");
            output.WriteLine("> incident as larger than reported until the trail is restored from a verified copy.");
        }
        else
        {
            output.WriteLine($"Audit trail verified: {a.Trail.Summary}");
        }

        output.WriteLine();
        output.WriteLine($"- Discovered: {Date(a.Discovered)}");
        output.WriteLine($"- Notify affected individuals without unreasonable delay and **no later than {Date(a.NotificationDeadline)}** (45 CFR 164.404(b): 60 calendar days after discovery)");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- Individuals with unsecured PHI: **{a.IndividualsToNotify}**; patients reached whose PHI is all under the safe harbor: {a.SafeHarborPatients.Count}"));
        output.WriteLine($"- HHS (164.408): {HhsNote(a)}");
        output.WriteLine($"- Media (164.406): if more than {BreachAssessment.LargeBreachThreshold} residents of one State or jurisdiction are affected, notify prominent media outlets serving it by {Date(a.NotificationDeadline)}. The tool does not know where patients live: count them by State from the list below.");
        if (a.CompromisedKeys.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("## Compromised keys");
            output.WriteLine();
            output.WriteLine("| key id | kind | scope | version | state | shredded at |");
            output.WriteLine("|---|---|---|---|---|---|");
            foreach (CompromisedKey k in a.CompromisedKeys)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {k.Id} | {k.Kind} | {k.Scope} | {k.Version} | {k.State} | {(k.DestroyedAt is { } at ? Time(at) : "-")} |"));
            }
        }

        output.WriteLine();
        output.WriteLine("## Patients");
        output.WriteLine();
        if (a.Patients.Count == 0)
        {
            output.WriteLine("No patient's unsecured PHI was reached.");
        }

        foreach (PatientExposure p in a.Patients)
        {
            string verdict = p.NotificationRequired ? "**unsecured PHI: notification required**" : "no unsecured PHI";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"### Patient {p.PatientId}: {verdict}"));
            output.WriteLine();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Categories: {string.Join(", ", p.Categories)}. Reads: {p.Reads}; writes: {p.Writes}; denied attempts: {p.DeniedAttempts}; accesses from {(p.FirstAccess is { } f ? Time(f) : "-")} to {(p.LastAccess is { } l ? Time(l) : "-")}."));
            output.WriteLine();
            output.WriteLine("| entity | field | category | encrypted | key scope | classification | why |");
            output.WriteLine("|---|---|---|---|---|---|---|");
            foreach (FieldExposure e in p.Fields)
            {
                output.WriteLine($"| {e.Entity} | {e.Field} | {e.Category} | {Encrypted(e.Encrypted)} | {e.KeyScope ?? "-"} | {Classification(e.Protection)} | {e.Reason} |");
            }

            output.WriteLine();
        }

        if (a.SafeHarborPatients.Count > 0)
        {
            output.WriteLine("## Patients under the safe harbor");
            output.WriteLine();
            output.WriteLine("Reached, but every field of theirs that the compromise reached is encrypted under a key the attacker did not hold (45 CFR 164.402, \"unsecured PHI\"): " + string.Join(", ", a.SafeHarborPatients) + ".");
            output.WriteLine();
        }

        output.WriteLine("## Notes");
        output.WriteLine();
        foreach (string note in a.Notes)
        {
            output.WriteLine("- " + note);
        }

        output.WriteLine("- Unsecured PHI is presumed breached unless a documented risk assessment (164.402(2): the nature of the PHI, who obtained it, whether it was actually viewed, the mitigation) shows a low probability of compromise.");
        output.WriteLine("- The tool reasons from the SDK's own encryption and audit trail: PHI outside the SDK (files, other databases, logs, backups of them) is not seen.");
    }

    public static void WriteJson(TextWriter output, BreachAssessment a)
    {
        using var stream = new TextWriterStream(output);
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("format", JsonFormat);
            json.WriteStartObject("target");
            json.WriteString("kind", a.Target.Kind.ToString().ToLowerInvariant());
            json.WriteString("user", a.Target.UserId);
            json.WriteString("key", a.Target.KeyId?.ToString("D"));
            WriteTime(json, "from", a.Target.From);
            WriteTime(json, "to", a.Target.To);
            json.WriteEndObject();
            json.WriteStartObject("trail");
            json.WriteBoolean("verified", a.Trail.Verified);
            json.WriteString("summary", a.Trail.Summary);
            json.WriteNumber("unsealedRecords", a.Trail.UnsealedRecords);
            json.WriteEndObject();
            json.WriteString("discovered", Date(a.Discovered));
            json.WriteString("notificationDeadline", Date(a.NotificationDeadline));
            json.WriteNumber("individualsToNotify", a.IndividualsToNotify);
            json.WriteStartObject("hhs");
            bool large = a.IndividualsToNotify >= BreachAssessment.LargeBreachThreshold;
            json.WriteString("notice", large ? "contemporaneous" : "annual-log");
            json.WriteString("deadline", Date(large ? a.NotificationDeadline : a.AnnualHhsDeadline));
            json.WriteEndObject();
            json.WriteString("mediaNote", $"If more than {BreachAssessment.LargeBreachThreshold} residents of one State or jurisdiction are affected, notify prominent media outlets serving it by {Date(a.NotificationDeadline)} (164.406); the tool does not know where patients live.");
            json.WriteStartArray("compromisedKeys");
            foreach (CompromisedKey k in a.CompromisedKeys)
            {
                json.WriteStartObject();
                json.WriteString("id", k.Id.ToString("D"));
                json.WriteString("kind", k.Kind);
                json.WriteString("scope", k.Scope);
                json.WriteNumber("version", k.Version);
                json.WriteString("state", k.State);
                WriteTime(json, "destroyedAt", k.DestroyedAt);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("patients");
            foreach (PatientExposure p in a.Patients)
            {
                json.WriteStartObject();
                json.WriteString("patientId", p.PatientId);
                json.WriteBoolean("notificationRequired", p.NotificationRequired);
                WriteStrings(json, "categories", p.Categories);
                json.WriteNumber("reads", p.Reads);
                json.WriteNumber("writes", p.Writes);
                json.WriteNumber("deniedAttempts", p.DeniedAttempts);
                WriteTime(json, "firstAccess", p.FirstAccess);
                WriteTime(json, "lastAccess", p.LastAccess);
                json.WriteStartArray("fields");
                foreach (FieldExposure e in p.Fields)
                {
                    json.WriteStartObject();
                    json.WriteString("entity", e.Entity);
                    json.WriteString("field", e.Field);
                    json.WriteString("category", e.Category);
                    if (e.Encrypted is { } encrypted)
                    {
                        json.WriteBoolean("encrypted", encrypted);
                    }
                    else
                    {
                        json.WriteNull("encrypted");
                    }

                    json.WriteString("keyScope", e.KeyScope);
                    json.WriteString("classification", Classification(e.Protection));
                    json.WriteString("reason", e.Reason);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            WriteStrings(json, "safeHarborPatients", a.SafeHarborPatients);
            json.WriteNumber("unattributedAccesses", a.UnattributedAccesses);
            WriteStrings(json, "unattributedEntities", a.UnattributedEntities);
            WriteStrings(json, "notes", a.Notes);
            json.WriteEndObject();
        }

        stream.WriteByte((byte)'\n');
    }

    /// <summary>The classification's stable name: <c>unsecured</c>, <c>safe-harbor</c> or <c>written</c>.</summary>
    public static string Classification(FieldProtection protection) => protection switch
    {
        FieldProtection.Unsecured => "unsecured",
        FieldProtection.SafeHarbor => "safe-harbor",
        _ => "written",
    };

    private static string HhsNote(BreachAssessment a) => a.IndividualsToNotify >= BreachAssessment.LargeBreachThreshold
        ? $"{BreachAssessment.LargeBreachThreshold} or more individuals: notify the Secretary contemporaneously with the individuals, by {Date(a.NotificationDeadline)}."
        : $"fewer than {BreachAssessment.LargeBreachThreshold} individuals: log the breach and report it to the Secretary within 60 days after the end of {a.Discovered.Year.ToString(CultureInfo.InvariantCulture)}, by {Date(a.AnnualHhsDeadline)}.";

    private static string Describe(BreachTarget target) => target.Kind switch
    {
        BreachTargetKind.User => $"compromised account {target.UserId}" + (target.From is not null || target.To is not null ? $" ({Window(target)})" : string.Empty),
        BreachTargetKind.Key => $"compromised key {target.KeyId:D}",
        _ => $"time window {Window(target)}",
    };

    private static string Window(BreachTarget target) =>
        $"{(target.From is { } from ? Time(from) : "the beginning")} to {(target.To is { } to ? Time(to) : "now")}";

    private static string Encrypted(bool? encrypted) => encrypted switch
    {
        true => "yes",
        false => "no",
        _ => "unknown",
    };

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static void WriteTime(Utf8JsonWriter json, string name, DateTimeOffset? value)
    {
        if (value is { } time)
        {
            json.WriteString(name, Time(time));
        }
        else
        {
            json.WriteNull(name);
        }
    }

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
