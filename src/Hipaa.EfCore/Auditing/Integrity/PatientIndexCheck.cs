using System.Globalization;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>
/// Checks the per-patient index <c>hipaa_audit_patients</c> against the patient lists of the sealed records of several
/// patients, after the chain walk has verified those lists' hashes: every patient of such a record has exactly one index
/// row with the record's time, and every index row belongs to a sealed record that lists its patient. The index is not
/// itself hashed; this check is what makes a deleted row (an access hidden from "who accessed this patient"), an added
/// row or a changed time visible. Records sealed after the walk's snapshot (<c>maxPosition</c>) are left to the next run.
/// On SQLite, where a time is text and the reports compare that text, the stored times of every sealed record (of one
/// patient or several; a rewrite of a one-patient record is reported as an edit) and of every index row must also be
/// written exactly as the SDK writes them (<see cref="StoredTimeFormat"/>): the chain hashes the instant, so
/// the same instant rewritten in another offset or format verified and yet left every report window near the access.
/// </summary>
internal static class PatientIndexCheck
{
    /// <summary>How Microsoft.Data.Sqlite (and EF Core's SQLite provider) writes a <see cref="DateTimeOffset"/>, always in UTC here.</summary>
    private const string StoredTimeFormat = "yyyy-MM-dd HH:mm:ss.FFFFFFFzzz";

    public static async Task<AuditChainProblem?> RunAsync(AuditDbContext context, long maxPosition, int batchSize, CancellationToken cancellationToken)
    {
        long after = long.MinValue;
        while (true)
        {
            long from = after;
            List<AuditEntry> records = await context.Entries.AsNoTracking()
                .Where(e => e.Id > from && e.ChainPosition != null && e.ChainPosition <= maxPosition && e.PatientIds != string.Empty)
                .OrderBy(e => e.Id)
                .Take(batchSize)
                .ToListAsync(cancellationToken)
                .ConfigureAwait(false);
            long through = records.Count == 0 ? long.MaxValue : records[^1].Id;
            List<IndexRow> rows = await context.PatientIndex.AsNoTracking()
                .Where(i => i.AuditId > from && i.AuditId <= through)
                .Select(i => new IndexRow(i.AuditId, i.PatientId, i.OccurredAt, context.Entries.Where(e => e.Id == i.AuditId).Select(e => e.ChainPosition).FirstOrDefault()))
                .ToListAsync(cancellationToken)
                .ConfigureAwait(false);
            if (Compare(records, rows, maxPosition) is { } problem)
            {
                return problem;
            }

            if (Storage.Dialects.DatabaseDialect.Find(context) is { StoresTimesAsText: true }
                && await FindRewrittenSqliteTimeAsync(context, from, through, maxPosition, cancellationToken).ConfigureAwait(false) is { } rewritten)
            {
                return rewritten;
            }

            if (records.Count == 0)
            {
                return null;
            }

            after = through;
        }
    }

    private static AuditChainProblem? Compare(List<AuditEntry> records, List<IndexRow> rows, long maxPosition)
    {
        var expected = new Dictionary<(long AuditId, string PatientId), AuditEntry>();
        foreach (AuditEntry record in records)
        {
            foreach (string patient in record.Patients())
            {
                expected.TryAdd((record.Id, patient), record);
            }
        }

        var seen = new HashSet<(long, string)>();
        foreach (IndexRow row in rows)
        {
            if (row.Position is { } position && position > maxPosition)
            {
                continue; // sealed after the walk's snapshot
            }

            if (!expected.TryGetValue((row.AuditId, row.PatientId), out AuditEntry? record))
            {
                return new AuditChainProblem(
                    AuditChainProblemKind.PatientIndexMismatch,
                    row.Position ?? 0,
                    null,
                    row.Position is null
                        ? string.Create(CultureInfo.InvariantCulture, $"The per-patient index has a row for audit row id {row.AuditId}, which is not a sealed record (the sealer indexes only what it seals): the index row was added outside the sealer.")
                        : string.Create(CultureInfo.InvariantCulture, $"The per-patient index names a patient for the record at position {row.Position} that its sealed patient list does not: the index row was added outside the sealer."));
            }

            if (record.OccurredAt.UtcTicks != row.OccurredAt.UtcTicks)
            {
                return new AuditChainProblem(
                    AuditChainProblemKind.PatientIndexMismatch,
                    record.ChainPosition!.Value,
                    record.RecordId,
                    string.Create(CultureInfo.InvariantCulture, $"An index row of record {record.RecordId} at position {record.ChainPosition} carries another time than the record: it was changed, which moves the access out of a report's time window."));
            }

            seen.Add((row.AuditId, row.PatientId));
        }

        foreach (((long auditId, string patient), AuditEntry record) in expected)
        {
            if (!seen.Contains((auditId, patient)))
            {
                return new AuditChainProblem(
                    AuditChainProblemKind.PatientIndexMismatch,
                    record.ChainPosition!.Value,
                    record.RecordId,
                    string.Create(CultureInfo.InvariantCulture, $"Record {record.RecordId} at position {record.ChainPosition} names {record.Patients().Count} patients, but the per-patient index lacks one of them: an index row was deleted, hiding the access from that patient's who-accessed report."));
            }
        }

        return null;
    }

    /// <summary>
    /// On SQLite, the first record of several patients (sealed within the snapshot) or index row, with audit row id in
    /// (<paramref name="from"/>, <paramref name="through"/>], whose stored time text is not what the SDK writes for its
    /// instant in UTC: SQLite compares the text, so a report's time window no longer finds it.
    /// </summary>
    private static async Task<AuditChainProblem?> FindRewrittenSqliteTimeAsync(AuditDbContext context, long from, long through, long maxPosition, CancellationToken cancellationToken)
    {
        await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var command = context.Database.GetDbConnection().CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText =
                    "SELECT CASE WHEN patient_ids <> '' THEN 0 ELSE 2 END, id, record_id, chain_position, occurred_at FROM hipaa_audit WHERE id > @from AND id <= @through AND chain_position IS NOT NULL AND chain_position <= @max"
                    + " UNION ALL SELECT 1, i.audit_id, e.record_id, e.chain_position, i.occurred_at FROM hipaa_audit_patients i LEFT JOIN hipaa_audit e ON e.id = i.audit_id"
                    + " WHERE i.audit_id > @from AND i.audit_id <= @through AND (e.chain_position IS NULL OR e.chain_position <= @max)";
                AddParameter(command, "@from", from);
                AddParameter(command, "@through", through);
                AddParameter(command, "@max", maxPosition);
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        string stored = reader.IsDBNull(4) ? string.Empty : reader.GetValue(4).ToString() ?? string.Empty;
                        if (DateTimeOffset.TryParse(stored, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset time)
                            && string.Equals(stored, time.ToUniversalTime().ToString(StoredTimeFormat, CultureInfo.InvariantCulture), StringComparison.Ordinal))
                        {
                            continue;
                        }

                        long kind = reader.GetInt64(0);
                        bool isIndexRow = kind == 1;
                        long? position = reader.IsDBNull(3) ? null : reader.GetInt64(3);
                        Guid? recordId = reader.IsDBNull(2) ? null : Guid.Parse(reader.GetValue(2).ToString()!, CultureInfo.InvariantCulture);
                        if (kind == 2)
                        {
                            return new AuditChainProblem(
                                AuditChainProblemKind.EditedRecord,
                                position ?? 0,
                                recordId,
                                string.Create(
                                    CultureInfo.InvariantCulture,
                                    $"The record at position {position} (audit row id {reader.GetInt64(1)}) stores its time as '{stored}', not as the SDK writes it (UTC, {StoredTimeFormat}): it was rewritten. The instant may be unchanged, but SQLite compares the text, so the access no longer falls in a report's time window."));
                        }

                        return new AuditChainProblem(
                            AuditChainProblemKind.PatientIndexMismatch,
                            position ?? 0,
                            recordId,
                            string.Create(
                                CultureInfo.InvariantCulture,
                                $"{(isIndexRow ? "An index row of the record" : "The record")} of several patients at position {position} (audit row id {reader.GetInt64(1)}) stores its time as '{stored}', not as the SDK writes it (UTC, {StoredTimeFormat}): it was rewritten. The instant may be unchanged, but SQLite compares the text, so the access no longer falls in a report's time window."));
                    }
                }
            }

            return null;
        }
        finally
        {
            await context.Database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    private static void AddParameter(System.Data.Common.DbCommand command, string name, long value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private sealed record IndexRow(long AuditId, string PatientId, DateTimeOffset OccurredAt, long? Position);
}
