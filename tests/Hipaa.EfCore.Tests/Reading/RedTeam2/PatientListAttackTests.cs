using Hipaa.Auditing;

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
}

public sealed class SqlitePatientListAttackTests() : PatientListAttackTests("sqlite");

public sealed class PostgresPatientListAttackTests() : PatientListAttackTests("postgres");
