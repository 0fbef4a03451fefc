using System.Text;
using System.Text.Json;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Auditing.Reports;
using Hipaa.EfCore.Tests.Auditing.Integrity;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Auditing.Reports;

/// <summary>Who accessed a patient, the accounting of disclosures, the Part 2 list and the SIEM export — each itself audited.</summary>
public abstract class AuditReportsTests : IDisposable
{
    private static readonly DateTimeOffset T0 = AuditStore.Start;

    private readonly AuditStore _store;
    private readonly AuditReports _reports;

    protected AuditReportsTests(string provider)
    {
        _store = new AuditStore(provider);
        _store.Time.Advance(TimeSpan.FromDays(30));
        _reports = new AuditReports(_store.Options, _store.Time);
    }

    public void Dispose()
    {
        _store.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task WhoAccessedAsync_PatientAndWindow_ReturnsOnlyThatPatientInTimeOrderAndRecordsTheReport()
    {
        _store.Append(1, n => Access(n, "patient-1", T0.AddHours(3), "u-a"));
        _store.Append(1, n => Access(n, "patient-1", T0.AddHours(1), "u-b"));
        _store.Append(1, n => Access(n, "patient-2", T0.AddHours(2), "u-c"));
        _store.Append(1, n => Access(n, "patient-1", T0.AddDays(3), "u-d"));
        _store.Append(1, n => Access(n, "patient-1", T0.AddHours(1).AddTicks(5), "u-e"));

        IReadOnlyList<AuditRecord> records;
        using (AccessContext.Begin(Officer()))
        {
            records = await _reports.WhoAccessedAsync("patient-1", T0, T0.AddDays(1));
        }

        Assert.Equal(["u-b", "u-e", "u-a"], records.Select(r => r.ActorId));
        Assert.All(records, r => Assert.Equal("patient-1", r.PatientId));
        AuditEntry report = ReportRecords().Single();
        Assert.Equal(AuditAction.Read, report.Action);
        Assert.Equal("hipaa_audit", report.Entity);
        Assert.Equal("AuditLog", report.Categories);
        Assert.Equal("u-privacy-1", report.ActorId);
        Assert.Equal("PrivacyOfficer", report.ActorRoles);
        Assert.Equal("HOVERSIGHT", report.PurposeOfUse);
        Assert.Equal("patient-1", report.PatientId);
        Assert.Equal(3, report.RowCount);
        Assert.Equal("10.9.9.9", report.ClientAddress);
        Assert.Equal(_store.Time.GetUtcNow(), report.OccurredAt);
        Assert.StartsWith("Who-accessed report from 2026-01-05T10:00:00", report.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhoAccessedAsync_TimesInAnotherOffset_AreComparedAsInstants()
    {
        _store.Append(1, n => Access(n, "patient-1", T0.AddHours(1), "u-a"));
        _store.Append(1, n => Access(n, "patient-1", T0.AddHours(5), "u-b"));

        IReadOnlyList<AuditRecord> records;
        using (AccessContext.Begin(Officer()))
        {
            DateTimeOffset fromInNewYork = T0.AddHours(2).ToOffset(TimeSpan.FromHours(-5));
            records = await _reports.WhoAccessedAsync("patient-1", from: fromInNewYork);
        }

        Assert.Equal("u-b", Assert.Single(records).ActorId);
    }

    [Fact]
    public async Task WhoAccessedAsync_EarlierReport_ShowsUpAsAnAccessOfTheTrail()
    {
        _store.Append(1, n => Access(n, "patient-1", T0, "u-a"));
        using (AccessContext.Begin(Officer()))
        {
            await _reports.WhoAccessedAsync("patient-1");
            IReadOnlyList<AuditRecord> second = await _reports.WhoAccessedAsync("patient-1");

            Assert.Equal(["u-a", "u-privacy-1"], second.Select(r => r.ActorId));
            Assert.Equal(["AuditLog"], second[1].Categories);
        }
    }

    [Fact]
    public async Task Reports_NoAccessContext_ThrowNamingTheFixAndRecordNothing()
    {
        _store.Append(1, n => Access(n, "patient-1", T0, "u-a"));

        var whoAccessed = await Assert.ThrowsAsync<InvalidOperationException>(() => _reports.WhoAccessedAsync("patient-1"));
        var accounting = await Assert.ThrowsAsync<InvalidOperationException>(() => _reports.AccountingOfDisclosuresAsync("patient-1"));
        var export = await Assert.ThrowsAsync<InvalidOperationException>(() => _reports.ExportJsonLinesAsync(Stream.Null));

        Assert.Contains("AccessContext.Begin", whoAccessed.Message, StringComparison.Ordinal);
        Assert.Contains("AccessContext.ForSystem", accounting.Message, StringComparison.Ordinal);
        Assert.Contains("audited", export.Message, StringComparison.Ordinal);
        Assert.Empty(ReportRecords());
    }

    [Fact]
    public async Task AccountingOfDisclosuresAsync_MixedRecords_ListsDisclosuresOutsideTpoWithinSixYears()
    {
        _store.Append(1, n => Disclosure(n, "patient-1", T0.AddDays(1), "HLEGAL", "County Court", "Progress notes 2025", ["PSY"]));
        _store.Append(1, n => Disclosure(n, "patient-1", T0.AddDays(2), "TREAT", "Other Clinic", "Referral summary", ["SUD"]));
        _store.Append(1, n => Disclosure(n, "patient-1", T0.AddDays(3), "HPAYMT", "Payer", "Claim", []));
        _store.Append(1, n => Disclosure(n, "patient-1", T0.AddDays(4), "PATRQT", "The patient", "Copy of record", []));
        _store.Append(1, n => Disclosure(n, "patient-1", T0.AddDays(5), "HRESCH", "University", "Study extract", ["SUD"], AuditAction.Export));
        _store.Append(1, n => Disclosure(n, "patient-1", T0.AddDays(6), "HLEGAL", "Sheriff", "Denied request", [], outcome: AuditOutcome.Denied));
        _store.Append(1, n => Disclosure(n, "patient-2", T0.AddDays(7), "HLEGAL", "County Court", "Other patient", []));
        _store.Append(1, n => Disclosure(n, "patient-1", T0.AddYears(-7), "HLEGAL", "Old Court", "Too old", []));
        _store.Append(1, n => Access(n, "patient-1", T0.AddDays(8), "u-read"));

        IReadOnlyList<DisclosureAccountingEntry> entries;
        using (AccessContext.Begin(Officer()))
        {
            entries = await _reports.AccountingOfDisclosuresAsync("patient-1");
        }

        Assert.Equal(["County Court", "University"], entries.Select(e => e.Recipient));
        DisclosureAccountingEntry court = entries[0];
        Assert.Equal(T0.AddDays(1), court.DisclosedAt);
        Assert.Equal("Progress notes 2025", court.Description);
        Assert.Equal("HLEGAL", court.PurposeOfUse);
        Assert.Equal(AuditAction.Disclose, court.Action);
        Assert.Equal(["ProgressNote"], court.Categories);
        Assert.Equal(AuditAction.Export, entries[1].Action);
        AuditEntry report = ReportRecords().Single();
        Assert.Equal(2, report.RowCount);
        Assert.Contains("Accounting of disclosures", report.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Part2DisclosuresAsync_MixedRecords_ListsEverySudDisclosureIncludingTreatment()
    {
        _store.Append(1, n => Disclosure(n, "patient-1", T0.AddDays(1), "HLEGAL", "County Court", "Progress notes", ["PSY"]));
        _store.Append(1, n => Disclosure(n, "patient-1", T0.AddDays(2), "TREAT", "Other Clinic", "SUD treatment summary", ["SUD"]));
        _store.Append(1, n => Disclosure(n, "patient-1", T0.AddDays(3), "HPAYMT", "Payer", "SUD claim", ["PSY", "ETH"]));
        _store.Append(1, n => Disclosure(n, "patient-1", T0.AddYears(-4), "TREAT", "Old Clinic", "Outside three years", ["SUD"]));

        IReadOnlyList<DisclosureAccountingEntry> entries;
        using (AccessContext.Begin(Officer()))
        {
            entries = await _reports.Part2DisclosuresAsync("patient-1");
        }

        Assert.Equal(["Other Clinic", "Payer"], entries.Select(e => e.Recipient));
        Assert.Equal(["PSY", "ETH"], entries[1].Labels);
        Assert.Contains("Part 2", ReportRecords().Single().Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExportJsonLinesAsync_Records_WritesOneObjectPerRecordWithStableNamesAndRecordsTheExport()
    {
        _store.Append(2, n => Access(n, "patient-1", T0.AddMinutes(n), "u-a"));
        _store.Append(1, n => Disclosure(n, "patient-2", T0.AddMinutes(n), "HLEGAL", "County Court", "Notes", ["SUD"]));
        using var output = new MemoryStream();

        long written;
        using (AccessContext.Begin(Officer()))
        {
            written = await _reports.ExportJsonLinesAsync(output);
        }

        string[] lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, written);
        Assert.Equal(3, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal(
            ["recordId", "occurredAt", "actorId", "actorRoles", "clientApplication", "patientId", "patientIds", "action", "entity", "categories",
             "labels", "fields", "redactedFields", "purposeOfUse", "outcome", "clientAddress", "requestId", "breakGlassReason",
             "recipient", "description", "recordKeys", "queryFingerprint", "rowCount", "decision"],
            first.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Read", first.RootElement.GetProperty("action").GetString());
        Assert.Equal("2026-01-05T10:01:00.0000000Z", first.RootElement.GetProperty("occurredAt").GetString());
        Assert.Equal(JsonValueKind.Null, first.RootElement.GetProperty("recipient").ValueKind);
        using var third = JsonDocument.Parse(lines[2]);
        Assert.Equal("County Court", third.RootElement.GetProperty("recipient").GetString());
        Assert.Equal(["SUD"], third.RootElement.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        AuditEntry export = ReportRecords().Single();
        Assert.Equal(AuditAction.Export, export.Action);
        Assert.Equal(3, export.RowCount);
        Assert.Null(export.PatientId);
    }

    [Fact]
    public async Task ExportAsync_TimeWindowAcrossPages_ReturnsEveryRecordInWindowOnce()
    {
        _store.Append(2_500, n => Access(n, "patient-" + (n % 7), T0.AddSeconds(n), "u-" + n));

        var actors = new List<string>();
        using (AccessContext.Begin(Officer()))
        {
            await foreach (AuditRecord record in _reports.ExportAsync(T0.AddSeconds(101), T0.AddSeconds(2_200)))
            {
                actors.Add(record.ActorId);
            }
        }

        Assert.Equal(Enumerable.Range(101, 2_100).Select(n => "u-" + n), actors);
        Assert.Equal(2_100, ReportRecords().Single().RowCount);
    }

    private static AccessContext Officer() =>
        new(new Actor("u-privacy-1", ["PrivacyOfficer"]), PurposeOfUse.Oversight) { ClientAddress = "10.9.9.9" };

    private static AuditRecord Access(int n, string patientId, DateTimeOffset at, string actor) =>
        AuditStore.Record(n, patientId, at) with { ActorId = actor };

    private static AuditRecord Disclosure(
        int n,
        string patientId,
        DateTimeOffset at,
        string purpose,
        string recipient,
        string description,
        string[] labels,
        AuditAction action = AuditAction.Disclose,
        AuditOutcome outcome = AuditOutcome.Success) =>
        AuditStore.Record(n, patientId, at) with
        {
            Action = action,
            PurposeOfUse = purpose,
            Recipient = recipient,
            Description = description,
            Labels = labels,
            Outcome = outcome,
            ActorId = "u-records-1",
        };

    private List<AuditEntry> ReportRecords()
    {
        using var context = new AuditDbContext(_store.Options);
        return [.. context.Entries.AsNoTracking().Where(e => e.Entity == "hipaa_audit")];
    }
}

public sealed class SqliteAuditReportsTests() : AuditReportsTests("sqlite");

public sealed class PostgresAuditReportsTests() : AuditReportsTests("postgres");
