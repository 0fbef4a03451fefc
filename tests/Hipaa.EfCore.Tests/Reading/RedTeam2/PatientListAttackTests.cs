using System.Globalization;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing.Integrity;

namespace Hipaa.EfCore.Tests.Reading.RedTeam2;

/// <summary>
/// One record per access names its patients in a list (<c>patient_ids</c>, joined by U+001F) that the sealer indexes per
/// patient and the who-accessed report searches. Patient ids are the application's text: the list, the index and the
/// report must keep every id exactly as it is — one holding the separator, a backslash, or longer than the index column —
/// and an insider must not move an access out of a report's time window without verification noticing.
/// </summary>
public abstract class PatientListAttackTests(string provider) : ChartsFixture(provider)
{
    [Fact]
    public async Task WhoAccessed_PatientIdContainingTheListSeparator_FindsThatPatientsReadAndFramesNoOther()
    {
        // An id with U+001F in it: joined into a list, it reads as two patients, "mrn" and "7".
        var odd = "mrn\u001f7";
        using var host = Seed(odd, "mrn-2");
        Assert.Equal(2, (await ReadAllAsync(host)).Count);

        Assert.True(await ReportShowsChartReadAsync(host, odd), "before sealing, the read is missing from the report of the patient it returned");
        Assert.False(await ReportShowsChartReadAsync(host, "mrn"), "before sealing, a patient who was never read shows a read");
        await SealAllAsync(host);
        Assert.True(await ReportShowsChartReadAsync(host, odd), "after sealing, the read is missing from the report of the patient it returned");
        Assert.False(await ReportShowsChartReadAsync(host, "mrn"), "after sealing, the index names a patient who was never read");
        Assert.False(await ReportShowsChartReadAsync(host, "7"), "after sealing, the index names a patient who was never read");
        var result = await VerifyAsync(host);
        Assert.True(result.IsValid, result.Problem?.Message);
    }

    [Fact]
    public async Task WhoAccessed_UnsealedPageNamingPatientIdsWithABackslash_FindsEachOfThem()
    {
        // The report finds unsealed records of several patients with LIKE; PostgreSQL reads a backslash in a LIKE pattern as
        // an escape, so "north\42" matched only "north42" and "south\" (a trailing backslash) nothing.
        string[] ids = [@"north\42", @"south\", "east_1"];
        using var host = Seed(ids);
        Assert.Equal(3, (await ReadAllAsync(host)).Count);

        foreach (var id in ids)
        {
            Assert.True(await ReportShowsChartReadAsync(host, id), $"unsealed: the read is missing from the report of {id}");
        }

        Assert.False(await ReportShowsChartReadAsync(host, "eastX1"), "a LIKE wildcard in an id matched another patient");
        await SealAllAsync(host);
        foreach (var id in ids)
        {
            Assert.True(await ReportShowsChartReadAsync(host, id), $"sealed: the read is missing from the report of {id}");
        }
    }

    [Fact]
    public async Task Seal_AfterAPageOfPatientsWhoseIdsDoNotFitThePatientIdColumn_IsNotBlocked()
    {
        // hipaa_audit.patient_id and hipaa_audit_patients.patient_id hold 128 characters (enforced by PostgreSQL). One
        // such patient's read could never be recorded, so it was refused; two in one page went into patient_ids (text)
        // unrefused, and every later seal then failed on their index rows: nothing sealed again, for anyone.
        var first = "urn:oid:2.16.840.1.113883.3.72.5.20:" + new string('1', 100);
        var second = "urn:oid:2.16.840.1.113883.3.72.5.20:" + new string('2', 100);
        using var host = SeedWithSql(first, second);
        List<Chart>? rows = null;
        try
        {
            rows = await ReadAllAsync(host);
        }
        catch (AuditUnavailableException)
        {
            // refused because its record could not be stored: fail closed, as for one such patient
        }

        await SealAllAsync(host);

        Assert.DoesNotContain(Database.AuditRows(), r => r.ChainPosition is null);
        if (rows is not null)
        {
            Assert.True(await ReportShowsChartReadAsync(host, first), "the read was returned but is not in the patient's report");
        }
    }
}

/// <summary>
/// SQLite stores a time as text with its offset and the report compares that text, while the chain and the index check
/// compare instants: a time rewritten in another offset is the same instant to verification and another time to a report.
/// </summary>
public sealed class SqlitePatientListTimeAttackTests() : ChartsFixture("sqlite")
{
    [Fact]
    public async Task Verify_IndexRowTimeRewrittenInAnotherOffset_IsReportedOrTheReportStillFindsTheRead()
    {
        using var host = Seed("p-1", "p-2");
        await ReadAllAsync(host);
        await SealAllAsync(host);
        var page = Database.AuditRows().Single(r => r.PatientIds.Length > 0);

        // The same instant, written twelve hours "earlier" in local time: out of any report window near the access.
        Assert.Equal(1, Database.Execute("UPDATE hipaa_audit_patients SET occurred_at = @t WHERE patient_id = 'p-1'", ("@t", InOtherOffset(page.OccurredAt))));

        var found = (await WhoAccessedAsync(host, "p-1", page.OccurredAt.AddMinutes(-1), page.OccurredAt.AddMinutes(1))).Any(r => r.Action == AuditAction.Read && r.Entity == nameof(Chart));
        var result = await VerifyAsync(host);
        Assert.True(found || result.Problem?.Kind == AuditChainProblemKind.PatientIndexMismatch, "the access left the patient's report window and verification passed");
    }

    [Fact]
    public async Task Verify_TimeOfARecordOfSeveralPatientsRewrittenInAnotherOffset_IsReportedOrTheReportStillFindsTheRead()
    {
        using var host = Seed("p-1", "p-2");
        await ReadAllAsync(host);
        await SealAllAsync(host);
        var page = Database.AuditRows().Single(r => r.PatientIds.Length > 0);

        Assert.Equal(1, Database.Execute("UPDATE hipaa_audit SET occurred_at = @t WHERE id = @id", ("@t", InOtherOffset(page.OccurredAt)), ("@id", page.Id)));

        var found = (await WhoAccessedAsync(host, "p-2", page.OccurredAt.AddMinutes(-1), page.OccurredAt.AddMinutes(1))).Any(r => r.Action == AuditAction.Read && r.Entity == nameof(Chart));
        var result = await VerifyAsync(host);
        Assert.True(found || !result.IsValid, "the access left every patient's report window and verification passed");
    }

    private static string InOtherOffset(DateTimeOffset time) =>
        time.ToOffset(TimeSpan.FromHours(-12)).ToString("yyyy-MM-dd HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);
}

public sealed class SqlitePatientListAttackTests() : PatientListAttackTests("sqlite");

public sealed class PostgresPatientListAttackTests() : PatientListAttackTests("postgres");
