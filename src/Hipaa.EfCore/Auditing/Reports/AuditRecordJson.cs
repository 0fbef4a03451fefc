using System.Globalization;
using System.Text.Json;
using Hipaa.Auditing;

namespace Hipaa.EfCore.Auditing.Reports;

/// <summary>
/// The JSON-lines form of an <see cref="AuditRecord"/> for a SIEM: one object per line with every field, in the same order,
/// under stable camelCase names (docs/audit.md, "JSON lines"); nulls and empty lists are written, enums by name, times as
/// ISO 8601 UTC.
/// </summary>
internal static class AuditRecordJson
{
    /// <summary>Writes <paramref name="record"/> as one JSON object.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="record">The record.</param>
    public static void Write(Utf8JsonWriter writer, AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(record);
        writer.WriteStartObject();
        writer.WriteString("recordId", record.RecordId);
        writer.WriteString("occurredAt", record.OccurredAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        writer.WriteString("actorId", record.ActorId);
        WriteList(writer, "actorRoles", record.ActorRoles);
        writer.WriteString("clientApplication", record.ClientApplication);
        writer.WriteString("patientId", record.PatientId);
        WriteList(writer, "patientIds", record.PatientIds);
        writer.WriteString("action", record.Action.ToString());
        writer.WriteString("entity", record.Entity);
        WriteList(writer, "categories", record.Categories);
        WriteList(writer, "labels", record.Labels);
        WriteList(writer, "fields", record.Fields);
        WriteList(writer, "redactedFields", record.RedactedFields);
        writer.WriteString("purposeOfUse", record.PurposeOfUse);
        writer.WriteString("outcome", record.Outcome.ToString());
        writer.WriteString("clientAddress", record.ClientAddress);
        writer.WriteString("requestId", record.RequestId);
        writer.WriteString("breakGlassReason", record.BreakGlassReason);
        writer.WriteString("recipient", record.Recipient);
        writer.WriteString("description", record.Description);
        WriteList(writer, "recordKeys", record.RecordKeys);
        writer.WriteString("queryFingerprint", record.QueryFingerprint);
        writer.WriteNumber("rowCount", record.RowCount);
        writer.WriteString("decision", record.Decision);
        writer.WriteEndObject();
    }

    private static void WriteList(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(name);
        foreach (string value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }
}
