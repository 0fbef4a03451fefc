using System.Globalization;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>
/// Checks the per-patient index <c>hipaa_audit_patients</c> against the patient lists of the sealed records of several
/// patients, after the chain walk has verified those lists' hashes: every patient of such a record has exactly one index
/// row with the record's time, and every index row belongs to a sealed record that lists its patient. The index is not
/// itself hashed; this check is what makes a deleted row (an access hidden from "who accessed this patient"), an added
/// row or a changed time visible. Records sealed after the walk's snapshot (<c>maxPosition</c>) are left to the next run.
/// </summary>
internal static class PatientIndexCheck
{
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

    private sealed record IndexRow(long AuditId, string PatientId, DateTimeOffset OccurredAt, long? Position);
}
