using System.Text.Json;
using Hipaa.Auditing;
using Hipaa.Cli.Tests.Policy;
using Hipaa.EfCore.Auditing;

namespace Hipaa.Cli.Tests.Audit;

/// <summary><c>hipaa audit who-accessed</c>, <c>accounting</c>, <c>export</c> and <c>checkpoints export</c>, each read recorded in the trail.</summary>
public sealed class AuditReportCommandTests : IDisposable
{
    private readonly AuditTrailDatabase _database = new("sqlite");

    public void Dispose() => _database.Dispose();

    [Fact]
    public void WhoAccessed_Patient_PrintsItsAccessesAndRecordsTheReadAsTheSystemActor()
    {
        _database.Append(3);
        _database.Append(1, n => AuditTrailDatabase.Record(n, "patient-2"));

        CliRun run = CliRun.Of(["audit", "who-accessed", .. _database.Store, "--patient", "patient-1", "--to", "2026-01-05"]);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal("3 accesses to the records of patient patient-1:", run.OutputLines[0]);
        Assert.Equal(4, run.OutputLines.Length);
        Assert.StartsWith("2026-01-05T10:01:00Z  u-ther-1  Read  Success  TREAT  Note [ProgressNote]  10.1.2.3", run.OutputLines[1], StringComparison.Ordinal);
        AuditEntry read = Assert.Single(_database.AuditLogReads());
        Assert.Equal("system:hipaa-cli", read.ActorId);
        Assert.Equal("HOVERSIGHT", read.PurposeOfUse);
        Assert.Equal("patient-1", read.PatientId);
        Assert.Equal(3, read.RowCount);
    }

    [Fact]
    public void WhoAccessed_ActorAndJsonLines_RecordsThePersonAndPrintsRecords()
    {
        _database.Append(2);

        CliRun run = CliRun.Of(["audit", "who-accessed", .. _database.Store, "--patient", "patient-1", "--format", "jsonl", "--actor", "u-compliance-7", "--from", "2026-01-05T10:02:00Z"]);

        Assert.True(run.ExitCode == 0, run.Error);
        using var line = JsonDocument.Parse(Assert.Single(run.OutputLines));
        Assert.Equal("u-ther-2", line.RootElement.GetProperty("actorId").GetString());
        AuditEntry read = Assert.Single(_database.AuditLogReads());
        Assert.Equal("u-compliance-7", read.ActorId);
        Assert.Equal("ComplianceOfficer", read.ActorRoles);
        Assert.Equal("hipaa-cli", read.ClientApplication);
    }

    [Fact]
    public void SharedLogins_OneIdAtTwoWorkstationsAtOnce_ExitsOneWithOneSentencePerFindingAndRecordsTheRead()
    {
        var start = new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);
        _database.Append(40, n => AuditTrailDatabase.Record(n) with { ActorId = "u-shared", OccurredAt = start.AddMinutes(n), ClientAddress = n % 2 == 0 ? "10.0.0.5" : "10.0.0.6" });
        _database.Append(20, n => AuditTrailDatabase.Record(n) with { ActorId = "u-alone", OccurredAt = start.AddMinutes(n), ClientAddress = "10.0.0.7" });

        CliRun text = CliRun.Of(["audit", "shared-logins", .. _database.Store, "--from", "2026-01-05", "--to", "2026-01-05"]);
        CliRun json = CliRun.Of(["audit", "shared-logins", .. _database.Store, "--from", "2026-01-05", "--to", "2026-01-05", "--format", "jsonl", "--overlap-minutes", "0"]);

        Assert.True(text.ExitCode == 1, text.Error);
        Assert.Equal("1 possible shared logins:", text.OutputLines[0]);
        Assert.StartsWith("- User u-shared was active from 2 client addresses at once from 2026-01-05 09:0", text.OutputLines[1], StringComparison.Ordinal);
        Assert.Equal(2, text.OutputLines.Length);
        using var line = JsonDocument.Parse(Assert.Single(json.OutputLines));
        Assert.Equal(("u-shared", "SeveralAddresses", 2), (line.RootElement.GetProperty("actorId").GetString(), line.RootElement.GetProperty("kind").GetString(), line.RootElement.GetProperty("places").GetArrayLength()));
        Assert.Equal(2, _database.AuditLogReads().Count);
    }

    [Fact]
    public void SharedLogins_NoneFound_ExitsZero_AndBadWindowsExitTwo()
    {
        _database.Append(5);

        CliRun none = CliRun.Of(["audit", "shared-logins", .. _database.Store]);
        CliRun badIdle = CliRun.Of(["audit", "shared-logins", .. _database.Store, "--idle-minutes", "0"]);
        CliRun badOverlap = CliRun.Of(["audit", "shared-logins", .. _database.Store, "--idle-minutes", "10", "--overlap-minutes", "11"]);

        Assert.True(none.ExitCode == 0, none.Error);
        Assert.Equal("No shared logins found.", Assert.Single(none.OutputLines));
        Assert.Equal((2, 2), (badIdle.ExitCode, badOverlap.ExitCode));
        Assert.Contains("--idle-minutes", badIdle.Error, StringComparison.Ordinal);
        Assert.Contains("--overlap-minutes", badOverlap.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void WhoAccessed_BadTimeOrMissingPatient_ExitsTwo()
    {
        CliRun badTime = CliRun.Of(["audit", "who-accessed", .. _database.Store, "--patient", "p", "--from", "yesterday"]);
        CliRun noPatient = CliRun.Of(["audit", "who-accessed", .. _database.Store]);

        Assert.Equal(2, badTime.ExitCode);
        Assert.Contains("'yesterday' is not a date or time", badTime.Error, StringComparison.Ordinal);
        Assert.Equal(2, noPatient.ExitCode);
        Assert.Contains("--patient", noPatient.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Accounting_Patient_PrintsTheHipaaAccountingAndThePart2List()
    {
        DateTimeOffset recent = DateTimeOffset.UtcNow.AddDays(-10);
        _database.Append(1, n => AuditTrailDatabase.Record(n) with { OccurredAt = recent, Action = AuditAction.Disclose, PurposeOfUse = "HLEGAL", Recipient = "County Court", Description = "Progress notes" });
        _database.Append(1, n => AuditTrailDatabase.Record(n) with { OccurredAt = recent, Action = AuditAction.Disclose, PurposeOfUse = "TREAT", Recipient = "Other Clinic", Description = "SUD summary", Labels = ["SUD"] });

        CliRun run = CliRun.Of(["audit", "accounting", .. _database.Store, "--patient", "patient-1"]);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal("Accounting of disclosures (45 CFR 164.528) for patient patient-1: 1", run.OutputLines[0]);
        Assert.Contains("to: County Court  purpose: HLEGAL  what: Progress notes", run.OutputLines[1], StringComparison.Ordinal);
        Assert.Equal("42 CFR Part 2 list of disclosures for patient patient-1: 1", run.OutputLines[2]);
        Assert.Contains("to: Other Clinic  purpose: TREAT", run.OutputLines[3], StringComparison.Ordinal);
        Assert.Equal(2, _database.AuditLogReads().Count);
    }

    [Fact]
    public void Export_JsonLinesToFile_WritesEveryRecordAndRecordsTheExport()
    {
        _database.Append(5);
        string file = Path.Combine(_database.Directory, "siem.jsonl");

        CliRun run = CliRun.Of(["audit", "export", .. _database.Store, "--format", "jsonl", "--out", file]);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("Exported 5 audit records as jsonl", run.Output, StringComparison.Ordinal);
        string[] lines = File.ReadAllLines(file);
        Assert.Equal(5, lines.Length);
        Assert.All(lines, l => Assert.Equal("Note", JsonDocument.Parse(l).RootElement.GetProperty("entity").GetString()));
        AuditEntry export = Assert.Single(_database.AuditLogReads());
        Assert.Equal(AuditAction.Export, export.Action);
        Assert.Equal(5, export.RowCount);
    }

    [Fact]
    public void Export_FhirToStandardOutput_WritesOneAuditEventPerLine()
    {
        _database.Append(3);

        CliRun run = CliRun.Of(["audit", "export", .. _database.Store, "--format", "fhir", "--source-observer", "clinic-ehr"]);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal(3, run.OutputLines.Length);
        using var first = JsonDocument.Parse(run.OutputLines[0]);
        Assert.Equal("AuditEvent", first.RootElement.GetProperty("resourceType").GetString());
        Assert.Equal("rest", first.RootElement.GetProperty("type").GetProperty("code").GetString());
        Assert.Equal("clinic-ehr", first.RootElement.GetProperty("source").GetProperty("observer").GetProperty("display").GetString());
    }

    [Fact]
    public void Export_FhirBundle_WritesACollectionBundle()
    {
        _database.Append(4);
        string file = Path.Combine(_database.Directory, "bundle.json");

        CliRun run = CliRun.Of(["audit", "export", .. _database.Store, "--format", "fhir-bundle", "--out", file]);

        Assert.True(run.ExitCode == 0, run.Error);
        using var bundle = JsonDocument.Parse(File.ReadAllText(file));
        Assert.Equal("collection", bundle.RootElement.GetProperty("type").GetString());
        Assert.Equal(4, bundle.RootElement.GetProperty("entry").GetArrayLength());
    }

    [Fact]
    public void Export_UnknownOrMissingFormat_ExitsTwo()
    {
        CliRun unknown = CliRun.Of(["audit", "export", .. _database.Store, "--format", "csv"]);
        CliRun missing = CliRun.Of(["audit", "export", .. _database.Store]);

        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("csv", unknown.Error, StringComparison.Ordinal);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--format", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckpointsExport_ToStandardOutputAfterAPosition_WritesOnlyLaterCheckpoints()
    {
        await _database.SealAsync(batches: 3, perBatch: 2);

        CliRun all = CliRun.Of(["audit", "checkpoints", "export", .. _database.Store]);
        CliRun later = CliRun.Of(["audit", "checkpoints", "export", .. _database.Store, "--after", "2"]);

        Assert.Equal(0, all.ExitCode);
        Assert.Equal([2L, 4, 6], all.OutputLines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("position").GetInt64()));
        Assert.Equal([4L, 6], later.OutputLines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("position").GetInt64()));
    }

    [Fact]
    public void Seal_PendingRecords_SealsThemAndTheTrailVerifies()
    {
        _database.Append(7);

        CliRun seal = CliRun.Of(["audit", "seal", .. _database.Store, "--signing-key", _database.KeyPath, "--max", "3"]);
        CliRun verify = CliRun.Of(["audit", "verify", .. _database.Store, "--public-key", _database.PublicKeyPath]);

        Assert.True(seal.ExitCode == 0, seal.Error);
        Assert.Contains("Sealed 7 records in 3 seals.", seal.Output, StringComparison.Ordinal);
        Assert.Contains("DEVELOPMENT-ONLY", seal.Error, StringComparison.Ordinal);
        Assert.Equal(0, verify.ExitCode);
        Assert.Contains("7 records (positions 1..7), 3 checkpoints", verify.Output, StringComparison.Ordinal);
    }
}
