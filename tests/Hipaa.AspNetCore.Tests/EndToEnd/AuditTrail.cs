using System.Data.Common;

namespace Hipaa.AspNetCore.Tests.EndToEnd;

/// <summary>One row of hipaa_audit, read straight from the table with ADO.NET (lists split on the unit separator).</summary>
public sealed record AuditRow(
    long Id,
    string ActorId,
    IReadOnlyList<string> ActorRoles,
    string? ClientApplication,
    string? PatientId,
    string Action,
    string Entity,
    IReadOnlyList<string> Fields,
    IReadOnlyList<string> RedactedFields,
    string PurposeOfUse,
    string Outcome,
    string? ClientAddress,
    string? RequestId,
    string? BreakGlassReason,
    IReadOnlyList<string> RecordKeys,
    string? Decision)
{
    private const char ListSeparator = '\u001f';

    /// <summary>Every row of the audit table, oldest first.</summary>
    public static List<AuditRow> ReadAll(EndToEndDatabase database)
    {
        using DbConnection connection = database.OpenConnection();
        using DbCommand command = connection.CreateCommand();
        command.CommandText =
            """
            SELECT id, actor_id, actor_roles, client_application, patient_id, action, entity, fields, redacted_fields,
                   purpose_of_use, outcome, client_address, request_id, break_glass_reason, record_keys, decision
            FROM hipaa_audit ORDER BY id
            """;
        using DbDataReader reader = command.ExecuteReader();
        var rows = new List<AuditRow>();
        while (reader.Read())
        {
            rows.Add(new AuditRow(
                reader.GetInt64(0),
                reader.GetString(1),
                List(reader.GetString(2)),
                Text(reader, 3),
                Text(reader, 4),
                reader.GetString(5),
                reader.GetString(6),
                List(reader.GetString(7)),
                List(reader.GetString(8)),
                reader.GetString(9),
                reader.GetString(10),
                Text(reader, 11),
                Text(reader, 12),
                Text(reader, 13),
                List(reader.GetString(14)),
                Text(reader, 15)));
        }

        return rows;
    }

    private static string? Text(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static string[] List(string value) => value.Length == 0 ? [] : value.Split(ListSeparator);
}
