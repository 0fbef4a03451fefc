using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Auditing.Reports;
using Hipaa.EfCore.Tests.Auditing.Integrity;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Auditing.Reports;

/// <summary><see cref="AuditReports.SharedLoginsAsync"/> over a recorded trail: the windows, what counts, and the report's own record.</summary>
public abstract class SharedLoginReportTests : IDisposable
{
    private static readonly DateTimeOffset T0 = AuditStore.Start;

    private readonly AuditStore _store;
    private readonly AuditReports _reports;

    protected SharedLoginReportTests(string provider)
    {
        _store = new AuditStore(provider);
        _store.Time.Advance(TimeSpan.FromDays(2));
        _reports = new AuditReports(_store.Options, _store.Time);
    }

    public void Dispose()
    {
        _store.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task SharedLoginsAsync_TwoPeopleUnderOneIdAndOneUserMovingBetweenMachines_FlagsOnlyTheSharedId()
    {
        Record("u-shared", "10.0.0.5", 0, 90, every: 3);
        Record("u-shared", "10.0.0.6", 20, 80, every: 4);
        Record("u-mover", "10.0.0.5", 0, 60, every: 2);
        Record("u-mover", "10.0.0.9", 62, 120, every: 2);
        Record("u-console", null, 0, 120, every: 1); // no client address: cannot be placed
        Record("u-console", "10.0.0.8", 30, 60, every: 5);

        IReadOnlyList<SharedLoginFinding> findings;
        using (AccessContext.Begin(Officer()))
        {
            findings = await _reports.SharedLoginsAsync(T0, T0.AddDays(1));
        }

        var finding = Assert.Single(findings);
        Assert.Equal(("u-shared", SharedLoginFindingKind.SeveralAddresses, T0.AddMinutes(20), T0.AddMinutes(80)), (finding.ActorId, finding.Kind, finding.From, finding.To));
        Assert.Equal([("10.0.0.5", 20), ("10.0.0.6", 16)], finding.Places.Select(p => (p.ClientAddress, p.Accesses)));
        var report = Assert.Single(ReportRecords());
        Assert.Equal((AuditAction.Read, "u-privacy-1", null, 1), (report.Action, report.ActorId, report.PatientId, report.RowCount));
        Assert.StartsWith("Shared-login report from 2026-01-05T10:00:00", report.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SharedLoginsAsync_Window_LeavesOutAccessesOutsideIt()
    {
        Record("u-shared", "10.0.0.5", 0, 90, every: 3);
        Record("u-shared", "10.0.0.6", 20, 80, every: 4);

        IReadOnlyList<SharedLoginFinding> before, during;
        using (AccessContext.Begin(Officer()))
        {
            before = await _reports.SharedLoginsAsync(T0, T0.AddMinutes(19));
            during = await _reports.SharedLoginsAsync(T0.AddMinutes(30), T0.AddMinutes(50), new SharedLoginDetectionOptions { MinimumOverlap = TimeSpan.FromMinutes(10) });
        }

        Assert.Empty(before);
        Assert.Equal((T0.AddMinutes(32), T0.AddMinutes(48)), (Assert.Single(during).From, Assert.Single(during).To));
    }

    [Fact]
    public async Task SharedLoginsAsync_WithoutAccessContextOrWithABadWindow_IsRefusedAndNothingIsRecorded()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => _reports.SharedLoginsAsync());
        using (AccessContext.Begin(Officer()))
        {
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _reports.SharedLoginsAsync(T0.AddDays(1), T0));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _reports.SharedLoginsAsync(options: new SharedLoginDetectionOptions { IdleTimeout = TimeSpan.Zero }));
        }

        Assert.Empty(ReportRecords());
    }

    private static AccessContext Officer() =>
        new(new Actor("u-privacy-1", ["PrivacyOfficer"]), PurposeOfUse.Oversight) { ClientAddress = "10.9.9.9" };

    private void Record(string actor, string? address, int fromMinute, int toMinute, int every)
    {
        var minutes = Enumerable.Range(0, ((toMinute - fromMinute) / every) + 1).Select(i => fromMinute + (i * every)).ToList();
        var index = 0;
        _store.Append(minutes.Count, n => AuditStore.Record(n, "patient-" + (n % 5), T0.AddMinutes(minutes[index++])) with { ActorId = actor, ClientAddress = address });
    }

    private List<AuditEntry> ReportRecords()
    {
        using var context = new AuditDbContext(_store.Options);
        return [.. context.Entries.AsNoTracking().Where(e => e.Entity == "hipaa_audit")];
    }
}

public sealed class SqliteSharedLoginReportTests() : SharedLoginReportTests("sqlite");

public sealed class PostgresSharedLoginReportTests() : SharedLoginReportTests("postgres");
