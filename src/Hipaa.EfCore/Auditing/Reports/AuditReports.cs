using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Hipaa.Auditing;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Auditing.Reports;

/// <summary>
/// The reports OCR and patients ask for, answered from the audit trail: who accessed a patient's records, the accounting of
/// disclosures (45 CFR 164.528), the 42 CFR Part 2 list of disclosures, and a full export for a SIEM. Every call is itself
/// recorded in the trail (entity <c>hipaa_audit</c>, category <c>AuditLog</c>) before its result is returned, attributed to
/// the current <see cref="AccessContext"/>, which is therefore required.
/// </summary>
/// <remarks>Obtain an instance from the service provider once auditing is registered; instances are thread-safe.</remarks>
public sealed partial class AuditReports
{
    /// <summary>The default look-back of <see cref="AccountingOfDisclosuresAsync"/>: six years (45 CFR 164.528(a)(1)).</summary>
    public const int AccountingYears = 6;

    /// <summary>The default look-back of <see cref="Part2DisclosuresAsync"/>: three years (42 CFR 2.24 and 2.25).</summary>
    public const int Part2Years = 3;

    private const int ExportBatchSize = 1_000;

    /// <summary>The export's query of one page of records after id <c>{0}</c> up to id <c>{1}</c>, in id order (parameters from <c>{2}</c> in <paramref name="filter"/>).</summary>
    internal static string ExportPageQuery(Storage.Dialects.DatabaseDialect dialect, string filter) =>
        "SELECT * FROM hipaa_audit WHERE id > {0} AND id <= {1}" + filter + dialect.FirstRows("id", ExportBatchSize);

    /// <summary>Purposes whose disclosures 45 CFR 164.528(a)(1) leaves out of the accounting: treatment, payment, operations, the patient's own request.</summary>
    private static readonly HashSet<string> NotAccountedPurposes = new(StringComparer.Ordinal)
    {
        PurposeOfUse.Treatment.Code,
        PurposeOfUse.EmergencyTreatment.Code,
        PurposeOfUse.CoordinationOfCare.Code,
        PurposeOfUse.Payment.Code,
        PurposeOfUse.Operations.Code,
        PurposeOfUse.PatientRequest.Code,
    };

    /// <summary>Labels that mark a 42 CFR Part 2 record: substance use disorder information.</summary>
    private static readonly HashSet<string> Part2Labels = new(StringComparer.Ordinal)
    {
        SensitivityLabel.SubstanceUseDisorder.Code,
        SensitivityLabel.SubstanceAbuse.Code,
    };

    private readonly DbContextOptions<AuditDbContext> _options;
    private readonly TimeProvider _timeProvider;

    /// <summary>Initializes a new instance.</summary>
    /// <param name="options">The audit store.</param>
    /// <param name="timeProvider">The clock for the default report windows and for the records of the reports themselves.</param>
    internal AuditReports(DbContextOptions<AuditDbContext> options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = options;
        _timeProvider = timeProvider;
    }

    /// <summary>
    /// Who accessed <paramref name="patientId"/>'s records between <paramref name="from"/> and <paramref name="to"/>: every
    /// audit record of the patient (reads, writes, exports, disclosures, denied attempts), oldest first, including the
    /// records of accesses that returned several patients' rows (each with <see cref="AuditRecord.PatientId"/> set to this
    /// patient and <see cref="AuditRecord.PatientIds"/> naming all). Uses the <c>(patient_id, occurred_at)</c> index and the
    /// per-patient index <c>hipaa_audit_patients</c>.
    /// </summary>
    /// <param name="patientId">The patient.</param>
    /// <param name="from">The earliest time included; <see langword="null"/> for no lower bound.</param>
    /// <param name="to">The latest time included; <see langword="null"/> for no upper bound.</param>
    /// <param name="cancellationToken">Cancels the report.</param>
    /// <returns>The patient's audit records in time order.</returns>
    /// <exception cref="InvalidOperationException">No <see cref="AccessContext"/> is current.</exception>
    /// <exception cref="AuditUnavailableException">The access to the trail could not be recorded; nothing is returned.</exception>
    public async Task<IReadOnlyList<AuditRecord>> WhoAccessedAsync(
        string patientId,
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        AccessContext access = AuditLogAccess.RequireContext("The who-accessed report");
        List<AuditEntry> rows = await QueryPatientAsync(patientId, from, to, disclosuresOnly: false, cancellationToken).ConfigureAwait(false);
        await RecordAccessAsync(
            access,
            AuditAction.Read,
            patientId,
            "Who-accessed report" + Window(from, to),
            rows.Count,
            cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => r.ToRecordFor(patientId))];
    }

    /// <summary>
    /// The accounting of disclosures of <paramref name="patientId"/>'s information (45 CFR 164.528(b)(2)): date, recipient,
    /// description and purpose of every successful disclosure or export, except those the rule leaves out — for treatment,
    /// payment or health care operations (<c>TREAT</c>, <c>ETREAT</c>, <c>COC</c>, <c>HPAYMT</c>, <c>HOPERAT</c>) and those
    /// the patient asked for (<c>PATRQT</c>). Oldest first.
    /// </summary>
    /// <param name="patientId">The patient.</param>
    /// <param name="from">The earliest time included; <see langword="null"/> for six years before now.</param>
    /// <param name="to">The latest time included; <see langword="null"/> for now.</param>
    /// <param name="cancellationToken">Cancels the report.</param>
    /// <returns>The disclosures to account for.</returns>
    /// <exception cref="InvalidOperationException">No <see cref="AccessContext"/> is current.</exception>
    /// <exception cref="AuditUnavailableException">The access to the trail could not be recorded; nothing is returned.</exception>
    public Task<IReadOnlyList<DisclosureAccountingEntry>> AccountingOfDisclosuresAsync(
        string patientId,
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        CancellationToken cancellationToken = default) =>
        DisclosuresAsync(
            patientId,
            from,
            to,
            AccountingYears,
            "Accounting of disclosures (45 CFR 164.528)",
            entry => !NotAccountedPurposes.Contains(entry.PurposeOfUse),
            cancellationToken);

    /// <summary>
    /// The 42 CFR Part 2 list of disclosures of <paramref name="patientId"/>'s substance use disorder records (42 CFR 2.24,
    /// 2.25): every successful disclosure or export of a record labelled <c>SUD</c> or <c>ETH</c>, including those for
    /// treatment, payment and health care operations — but not a copy given to the patient at their request (<c>PATRQT</c>,
    /// the right of access), which is not a disclosure made with consent. Oldest first.
    /// </summary>
    /// <param name="patientId">The patient.</param>
    /// <param name="from">The earliest time included; <see langword="null"/> for three years before now.</param>
    /// <param name="to">The latest time included; <see langword="null"/> for now.</param>
    /// <param name="cancellationToken">Cancels the report.</param>
    /// <returns>The disclosures of Part 2 records.</returns>
    /// <exception cref="InvalidOperationException">No <see cref="AccessContext"/> is current.</exception>
    /// <exception cref="AuditUnavailableException">The access to the trail could not be recorded; nothing is returned.</exception>
    public Task<IReadOnlyList<DisclosureAccountingEntry>> Part2DisclosuresAsync(
        string patientId,
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        CancellationToken cancellationToken = default) =>
        DisclosuresAsync(
            patientId,
            from,
            to,
            Part2Years,
            "42 CFR Part 2 list of disclosures",
            entry => entry.PurposeOfUse != PurposeOfUse.PatientRequest.Code
                && entry.Labels.Length > 0 && entry.Labels.Split(AuditEntry.ListSeparator).Any(Part2Labels.Contains),
            cancellationToken);

    /// <summary>
    /// Streams every audit record (sealed or not) that occurred between <paramref name="from"/> and <paramref name="to"/>, in
    /// insertion order, in batches. Before the first record is returned, the export is recorded in the trail
    /// (<see cref="AuditAction.Export"/>) with the number of records it covers; records appended after the export began are
    /// left for the next one.
    /// </summary>
    /// <param name="from">The earliest time included; <see langword="null"/> for no lower bound.</param>
    /// <param name="to">The latest time included; <see langword="null"/> for no upper bound.</param>
    /// <param name="cancellationToken">Cancels the export.</param>
    /// <returns>The records.</returns>
    /// <exception cref="InvalidOperationException">No <see cref="AccessContext"/> is current.</exception>
    /// <exception cref="AuditUnavailableException">The export could not be recorded; nothing is returned.</exception>
    public async IAsyncEnumerable<AuditRecord> ExportAsync(
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        AccessContext access = AuditLogAccess.RequireContext("Exporting the audit trail");
        AuditDbContext context = new(_options);
        await using (context.ConfigureAwait(false))
        {
            context.ChangeTracker.QueryTrackingBehavior = QueryTrackingBehavior.NoTracking;
            long? maxId = await context.Entries.MaxAsync(e => (long?)e.Id, cancellationToken).ConfigureAwait(false);
            long last = maxId ?? 0;

            (string filter, List<object> parameters) = TimeFilter(from, to, firstIndex: 1);
            parameters.Insert(0, last);
            string countSql = "SELECT COUNT(*) AS \"Value\" FROM hipaa_audit WHERE id <= {0}" + filter;
            long count = await context.Database
                .SqlQueryRaw<long>(countSql, [.. parameters])
                .SingleAsync(cancellationToken)
                .ConfigureAwait(false);
            await RecordAccessAsync(
                access,
                AuditAction.Export,
                patientId: null,
                "Audit trail export" + Window(from, to),
                (int)Math.Min(count, int.MaxValue),
                cancellationToken).ConfigureAwait(false);

            long after = 0;
            while (after < last)
            {
                (string pageFilter, List<object> pageParameters) = TimeFilter(from, to, firstIndex: 2);
                pageParameters.InsertRange(0, [after, last]);
                string pageSql = ExportPageQuery(Storage.Dialects.DatabaseDialect.For(context, "The audit store"), pageFilter);
                List<AuditEntry> page = await context.Entries
                    .FromSqlRaw(pageSql, [.. pageParameters])
                    .ToListAsync(cancellationToken)
                    .ConfigureAwait(false);
                if (page.Count == 0)
                {
                    yield break;
                }

                foreach (AuditEntry entry in page)
                {
                    yield return entry.ToRecord();
                }

                after = page[^1].Id;
            }
        }
    }

    /// <summary>
    /// Writes the export of <see cref="ExportAsync"/> as JSON lines for a SIEM: one object per record with stable camelCase
    /// field names (docs/audit.md, "JSON lines").
    /// </summary>
    /// <param name="output">Receives UTF-8 JSON lines; not closed.</param>
    /// <param name="from">The earliest time included; <see langword="null"/> for no lower bound.</param>
    /// <param name="to">The latest time included; <see langword="null"/> for no upper bound.</param>
    /// <param name="cancellationToken">Cancels the export.</param>
    /// <returns>The number of records written.</returns>
    /// <exception cref="InvalidOperationException">No <see cref="AccessContext"/> is current.</exception>
    /// <exception cref="AuditUnavailableException">The export could not be recorded; nothing is written.</exception>
    public async Task<long> ExportJsonLinesAsync(
        Stream output,
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        long written = 0;
        var writer = new Utf8JsonWriter(output);
        await using (writer.ConfigureAwait(false))
        {
            await foreach (AuditRecord record in ExportAsync(from, to, cancellationToken).ConfigureAwait(false))
            {
                AuditRecordJson.Write(writer, record);
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                writer.Reset();
                output.WriteByte((byte)'\n');
                written++;
            }

            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        return written;
    }

    private static string Window(DateTimeOffset? from, DateTimeOffset? to) =>
        (from, to) switch
        {
            (null, null) => string.Empty,
            _ => string.Create(
                CultureInfo.InvariantCulture,
                $" from {from?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) ?? "the beginning"} to {to?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) ?? "now"}"),
        };

    private static (string Sql, List<object> Parameters) TimeFilter(DateTimeOffset? from, DateTimeOffset? to, int firstIndex)
    {
        // Times are compared in SQL, in UTC: SQLite stores them as ISO text whose order is chronological for one offset.
        var sql = new StringBuilder();
        var parameters = new List<object>();
        if (from is { } start)
        {
            sql.Append(CultureInfo.InvariantCulture, $" AND occurred_at >= {{{firstIndex + parameters.Count}}}");
            parameters.Add(start.ToUniversalTime());
        }

        if (to is { } end)
        {
            sql.Append(CultureInfo.InvariantCulture, $" AND occurred_at <= {{{firstIndex + parameters.Count}}}");
            parameters.Add(end.ToUniversalTime());
        }

        return (sql.ToString(), parameters);
    }

    private async Task<IReadOnlyList<DisclosureAccountingEntry>> DisclosuresAsync(
        string patientId,
        DateTimeOffset? from,
        DateTimeOffset? to,
        int defaultYears,
        string report,
        Func<AuditEntry, bool> counts,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        AccessContext access = AuditLogAccess.RequireContext("The " + report);
        DateTimeOffset now = _timeProvider.GetUtcNow();
        DateTimeOffset start = from ?? now.AddYears(-defaultYears);
        DateTimeOffset end = to ?? now;
        List<AuditEntry> rows = await QueryPatientAsync(patientId, start, end, disclosuresOnly: true, cancellationToken).ConfigureAwait(false);
        DisclosureAccountingEntry[] entries = [.. rows.Where(counts).Select(e => e.ToRecordFor(patientId)).Select(r => new DisclosureAccountingEntry
        {
            RecordId = r.RecordId,
            DisclosedAt = r.OccurredAt,
            Recipient = r.Recipient,
            Description = r.Description,
            PurposeOfUse = r.PurposeOfUse,
            ActorId = r.ActorId,
            Action = r.Action,
            Categories = r.Categories,
            Labels = r.Labels,
        })];
        await RecordAccessAsync(access, AuditAction.Read, patientId, report + Window(start, end), entries.Length, cancellationToken).ConfigureAwait(false);
        return entries;
    }

    private async Task<List<AuditEntry>> QueryPatientAsync(
        string patientId,
        DateTimeOffset? from,
        DateTimeOffset? to,
        bool disclosuresOnly,
        CancellationToken cancellationToken)
    {
        (string filter, List<object> parameters) = TimeFilter(from, to, firstIndex: 2);
        parameters.Insert(0, patientId);
        parameters.Insert(1, "%" + EscapeLike(patientId) + "%");

        // One statement, so one snapshot: the patient's own records (ix_hipaa_audit_patient_time), the sealed records of
        // several patients through their per-patient index, and the records of several patients not sealed yet (few: at
        // most one sealing interval's, served by ix_hipaa_audit_chain_position), whose lists are checked exactly below.
        // A record sealed while the report runs is in exactly one of the last two.
        string sql = "SELECT * FROM hipaa_audit WHERE (patient_id = {0}"
            + " OR id IN (SELECT audit_id FROM hipaa_audit_patients WHERE patient_id = {0}" + filter + ")"
            + " OR (chain_position IS NULL AND patient_ids LIKE {1} ESCAPE '!'))" + filter
            + (disclosuresOnly ? " AND action IN ('Disclose', 'Export') AND outcome = 'Success'" : string.Empty)
            + " ORDER BY occurred_at, id";
        AuditDbContext context = new(_options);
        await using (context.ConfigureAwait(false))
        {
            List<AuditEntry> rows = await context.Entries
                .FromSqlRaw(sql, [.. parameters])
                .AsNoTracking()
                .ToListAsync(cancellationToken)
                .ConfigureAwait(false);
            return [.. rows.Where(r => r.PatientId == patientId || r.Patients().Contains(patientId, StringComparer.Ordinal))];
        }
    }

    /// <summary>
    /// <paramref name="value"/> as a literal inside a LIKE pattern with <c>ESCAPE '!'</c>: PostgreSQL reads a backslash in
    /// a pattern as an escape by default, so an id holding one (<c>north\42</c>, a trailing <c>\</c>) matched other text or
    /// nothing, and the report missed the unsealed records of several patients that name it. The wildcards are escaped too,
    /// although the prefilter's over-matches are removed by the exact check after it.
    /// </summary>
    private static string EscapeLike(string value) =>
        value.Replace("!", "!!", StringComparison.Ordinal).Replace("%", "!%", StringComparison.Ordinal).Replace("_", "!_", StringComparison.Ordinal);

    private async Task RecordAccessAsync(
        AccessContext access,
        AuditAction action,
        string? patientId,
        string description,
        int rowCount,
        CancellationToken cancellationToken)
    {
        AuditEntry entry = AuditLogAccess.CreateEntry(access, action, patientId, description, rowCount, _timeProvider.GetUtcNow().ToUniversalTime());
        AuditDbContext context = new(_options);
        await using (context.ConfigureAwait(false))
        {
            context.Entries.Add(entry);
            try
            {
                await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DbUpdateException or DbException)
            {
                throw new AuditUnavailableException(
                    "Reading the audit trail is itself audited, and that record could not be stored, so the report was not returned. "
                        + "Retry when the audit store is reachable.",
                    ex);
            }
        }
    }
}
