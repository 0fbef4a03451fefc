using System.Globalization;
using Hipaa.Auditing;

namespace Hipaa.EfCore.Tests.Reading.RedTeam2;

/// <summary>
/// The second red team's known hole 1, closed: on SQLite a sealed record of ONE patient whose time text an insider
/// rewrote as the same instant in another offset verified, yet left every who-accessed window near the access. The
/// verifier now checks the stored text of every sealed record, and reports it as an edit.
/// </summary>
public sealed class SqliteSingleRecordTimeAttackTests() : ChartsFixture("sqlite")
{
    [Fact]
    public async Task Verify_TimeOfARecordOfOnePatientRewrittenInAnotherOffset_IsReportedAsAnEdit()
    {
        using var host = Seed("p-1");
        await ReadAllAsync(host);
        await SealAllAsync(host);
        var read = Database.AuditRows().Single(r => r.PatientId == "p-1" && r.Action == AuditAction.Read);
        Assert.True((await VerifyAsync(host)).IsValid);

        var rewritten = read.OccurredAt.ToOffset(TimeSpan.FromHours(-12)).ToString("yyyy-MM-dd HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);
        Assert.Equal(1, Database.Execute("UPDATE hipaa_audit SET occurred_at = @t WHERE id = @id", ("@t", rewritten), ("@id", read.Id)));

        var result = await VerifyAsync(host);
        Assert.False(result.IsValid);
        var problem = result.Problem!;
        Assert.Equal((Hipaa.EfCore.Auditing.Integrity.AuditChainProblemKind.EditedRecord, (Guid?)read.RecordId), (problem.Kind, problem.RecordId));
        Assert.Contains(rewritten, problem.Message, StringComparison.Ordinal);
    }
}
