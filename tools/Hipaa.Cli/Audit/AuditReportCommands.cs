using System.Globalization;
using System.Text.Json;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing.Reports;
using Hipaa.Fhir;

namespace Hipaa.Cli.Audit;

/// <summary><c>hipaa audit who-accessed</c>, <c>accounting</c> and <c>export</c>: the reports, read as the CLI's access context.</summary>
internal static class AuditReportCommands
{
    public static async Task<int> WhoAccessedAsync(
        (string Provider, string Connection) store,
        AccessContext access,
        string patientId,
        DateTimeOffset? from,
        DateTimeOffset? to,
        string format,
        TextWriter output,
        TextWriter error,
        CancellationToken cancellationToken)
    {
        IReadOnlyList<AuditRecord> records;
        try
        {
            using (AccessContext.Begin(access))
            {
                records = await Reports(store).WhoAccessedAsync(patientId, from, to, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (AuditStoreConnection.IsStoreFailure(ex) || ex is AuditUnavailableException)
        {
            return AuditStoreConnection.ReportStoreFailure(error, store.Provider, ex);
        }

        if (format == "jsonl")
        {
            WriteJsonLines(output, records);
            return ExitCodes.Success;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{records.Count} accesses to the records of patient {patientId}:"));
        foreach (AuditRecord r in records)
        {
            output.WriteLine(string.Join(
                "  ",
                Time(r.OccurredAt),
                r.ActorId,
                r.Action,
                r.Outcome,
                r.PurposeOfUse,
                r.Entity + (r.Categories.Count > 0 ? " [" + string.Join(",", r.Categories) + "]" : string.Empty),
                r.ClientAddress ?? "-",
                r.RecordId));
        }

        return ExitCodes.Success;
    }

    public static async Task<int> SharedLoginsAsync(
        (string Provider, string Connection) store,
        AccessContext access,
        DateTimeOffset? from,
        DateTimeOffset? to,
        int idleMinutes,
        int overlapMinutes,
        string format,
        TextWriter output,
        TextWriter error,
        CancellationToken cancellationToken)
    {
        var options = new SharedLoginDetectionOptions { IdleTimeout = TimeSpan.FromMinutes(idleMinutes), MinimumOverlap = TimeSpan.FromMinutes(overlapMinutes) };
        IReadOnlyList<SharedLoginFinding> findings;
        try
        {
            options.Validate();
            if (from > to)
            {
                throw new ArgumentOutOfRangeException(nameof(from), from, "--from is after --to.");
            }
        }
        catch (ArgumentOutOfRangeException ex)
        {
            error.WriteLine(ex.Message.Split(Environment.NewLine)[0].Replace("IdleTimeout", "--idle-minutes", StringComparison.Ordinal).Replace("MinimumOverlap", "--overlap-minutes", StringComparison.Ordinal));
            return ExitCodes.InvalidInput;
        }

        try
        {
            using (AccessContext.Begin(access))
            {
                findings = await Reports(store).SharedLoginsAsync(from, to, options, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (AuditStoreConnection.IsStoreFailure(ex) || ex is AuditUnavailableException)
        {
            return AuditStoreConnection.ReportStoreFailure(error, store.Provider, ex);
        }

        if (format == "jsonl")
        {
            foreach (SharedLoginFinding finding in findings)
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    actorId = finding.ActorId,
                    kind = finding.Kind.ToString(),
                    from = finding.From.UtcDateTime,
                    to = finding.To.UtcDateTime,
                    places = finding.Places.Select(p => new { clientAddress = p.ClientAddress, clientApplication = p.ClientApplication, accesses = p.Accesses, firstAccess = p.FirstAccess.UtcDateTime, lastAccess = p.LastAccess.UtcDateTime }),
                    explanation = finding.Explanation,
                }));
            }
        }
        else
        {
            output.WriteLine(findings.Count == 0
                ? "No shared logins found."
                : string.Create(CultureInfo.InvariantCulture, $"{findings.Count} possible shared logins:"));
            foreach (SharedLoginFinding finding in findings)
            {
                output.WriteLine("- " + finding.Explanation);
            }
        }

        return findings.Count == 0 ? ExitCodes.Success : ExitCodes.CheckFailed;
    }

    public static async Task<int> AccountingAsync(
        (string Provider, string Connection) store,
        AccessContext access,
        string patientId,
        DateTimeOffset? from,
        DateTimeOffset? to,
        string format,
        TextWriter output,
        TextWriter error,
        CancellationToken cancellationToken)
    {
        IReadOnlyList<DisclosureAccountingEntry> accounting;
        IReadOnlyList<DisclosureAccountingEntry> part2;
        try
        {
            using (AccessContext.Begin(access))
            {
                AuditReports reports = Reports(store);
                accounting = await reports.AccountingOfDisclosuresAsync(patientId, from, to, cancellationToken).ConfigureAwait(false);
                part2 = await reports.Part2DisclosuresAsync(patientId, from, to, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (AuditStoreConnection.IsStoreFailure(ex) || ex is AuditUnavailableException)
        {
            return AuditStoreConnection.ReportStoreFailure(error, store.Provider, ex);
        }

        if (format == "jsonl")
        {
            WriteDisclosures(output, "hipaa-164.528", accounting);
            WriteDisclosures(output, "part2", part2);
            return ExitCodes.Success;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Accounting of disclosures (45 CFR 164.528) for patient {patientId}: {accounting.Count}"));
        WriteTable(output, accounting);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"42 CFR Part 2 list of disclosures for patient {patientId}: {part2.Count}"));
        WriteTable(output, part2);
        return ExitCodes.Success;
    }

    public static async Task<int> ExportAsync(
        (string Provider, string Connection) store,
        AccessContext access,
        string format,
        string? outFile,
        DateTimeOffset? from,
        DateTimeOffset? to,
        string sourceObserver,
        string? serverAddress,
        TextWriter output,
        TextWriter error,
        CancellationToken cancellationToken)
    {
        Stream destination;
        try
        {
            destination = outFile is null ? new TextWriterStream(output) : new FileStream(outFile, FileMode.Create, FileAccess.Write, FileShare.None);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"Cannot write '{outFile}': {ex.Message}");
            return ExitCodes.InvalidInput;
        }

        long written;
        await using (destination.ConfigureAwait(false))
        {
            try
            {
                using (AccessContext.Begin(access))
                {
                    AuditReports reports = Reports(store);
                    var mapper = new FhirAuditEventMapper(sourceObserver, serverAddress: serverAddress);
                    written = format switch
                    {
                        "jsonl" => await reports.ExportJsonLinesAsync(destination, from, to, cancellationToken).ConfigureAwait(false),
                        "fhir-bundle" => await mapper.WriteBundleAsync(reports.ExportAsync(from, to, cancellationToken), destination, cancellationToken).ConfigureAwait(false),
                        _ => await mapper.WriteNdjsonAsync(reports.ExportAsync(from, to, cancellationToken), destination, cancellationToken).ConfigureAwait(false),
                    };
                }
            }
            catch (Exception ex) when (AuditStoreConnection.IsStoreFailure(ex) || ex is AuditUnavailableException)
            {
                return AuditStoreConnection.ReportStoreFailure(error, store.Provider, ex);
            }
        }

        if (outFile is not null)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Exported {written} audit records as {format} to {outFile}."));
        }

        return ExitCodes.Success;
    }

    private static AuditReports Reports((string Provider, string Connection) store) =>
        new(AuditStoreConnection.Options(store.Provider, store.Connection), TimeProvider.System);

    private static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static void WriteTable(TextWriter output, IReadOnlyList<DisclosureAccountingEntry> entries)
    {
        foreach (DisclosureAccountingEntry e in entries)
        {
            output.WriteLine($"  {Time(e.DisclosedAt)}  to: {e.Recipient ?? "(not recorded)"}  purpose: {e.PurposeOfUse}  what: {e.Description ?? string.Join(",", e.Categories)}  by: {e.ActorId}  record: {e.RecordId}");
        }
    }

    private static void WriteJsonLines(TextWriter output, IReadOnlyList<AuditRecord> records)
    {
        using var stream = new TextWriterStream(output);
        using var writer = new Utf8JsonWriter(stream);
        foreach (AuditRecord record in records)
        {
            AuditRecordJson.Write(writer, record);
            writer.Flush();
            writer.Reset();
            stream.WriteByte((byte)'\n');
        }
    }

    private static void WriteDisclosures(TextWriter output, string list, IReadOnlyList<DisclosureAccountingEntry> entries)
    {
        using var stream = new TextWriterStream(output);
        using var writer = new Utf8JsonWriter(stream);
        foreach (DisclosureAccountingEntry e in entries)
        {
            writer.WriteStartObject();
            writer.WriteString("list", list);
            writer.WriteString("recordId", e.RecordId);
            writer.WriteString("disclosedAt", e.DisclosedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            writer.WriteString("recipient", e.Recipient);
            writer.WriteString("description", e.Description);
            writer.WriteString("purposeOfUse", e.PurposeOfUse);
            writer.WriteString("actorId", e.ActorId);
            writer.WriteString("action", e.Action.ToString());
            writer.WriteEndObject();
            writer.Flush();
            writer.Reset();
            stream.WriteByte((byte)'\n');
        }
    }
}
