using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;

namespace Hipaa.EfCore.Tests.Auditing;

/// <summary>Which read records of one commit become one record of several patients, and which stay apart.</summary>
public sealed class ReadRecordCombinerTests
{
    [Fact]
    public void Combine_SameAccessForSeveralPatients_IsOneRecordNamingThemInReadOrder()
    {
        var combined = ReadRecordCombiner.Combine([Read("p2", "k1"), Read("p1", "k2"), Read("p3", "k3")]);

        var record = Assert.Single(combined);
        Assert.Null(record.PatientId);
        Assert.Equal(["p2", "p1", "p3"], record.Patients());
        Assert.Equal("k1\u001fk2\u001fk3", record.RecordKeys);
    }

    [Fact]
    public void Combine_OnePatientReadTwice_MergesIntoThatPatientsRecord()
    {
        var combined = ReadRecordCombiner.Combine([Read("p1", "k1"), Read("p1", "k2")]);

        var record = Assert.Single(combined);
        Assert.Equal("p1", record.PatientId);
        Assert.Empty(record.PatientIds);
        Assert.Equal("k1\u001fk2", record.RecordKeys);
    }

    public static TheoryData<string> Differences() => ["outcome", "fields", "redacted", "entity", "actor", "purpose", "decision", "fingerprint", "break-glass"];

    [Theory]
    [MemberData(nameof(Differences))]
    public void Combine_RecordsThatDifferInMoreThanThePatient_StayApart(string difference)
    {
        var other = Read("p2", "k2");
        switch (difference)
        {
            case "outcome": other.Outcome = AuditOutcome.Denied; break;
            case "fields": other.Fields = "Text"; break;
            case "redacted": other.RedactedFields = "Text"; break;
            case "entity": other.Entity = "Visit"; break;
            case "actor": other.ActorId = "u-other"; break;
            case "purpose": other.PurposeOfUse = "HPAYMT"; break;
            case "decision": other.Decision = "Deny x"; break;
            case "fingerprint": other.QueryFingerprint = "ff"; break;
            case "break-glass": other.BreakGlassReason = "code blue"; break;
        }

        var combined = ReadRecordCombiner.Combine([Read("p1", "k1"), other]);

        Assert.Equal(["p1", "p2"], combined.Select(r => r.PatientId));
    }

    [Fact]
    public void Combine_UnattributedRecords_AreNeverMerged()
    {
        var unattributed = Read(null, string.Empty);

        var combined = ReadRecordCombiner.Combine([Read("p1", "k1"), unattributed, Read("p2", "k2")]);

        Assert.Equal(2, combined.Count);
        Assert.Same(unattributed, combined[1]);
        Assert.Equal(["p1", "p2"], combined[0].Patients());
    }

    [Fact]
    public void Combine_MorePatientsThanOneRecordHolds_SplitsIntoRecordsOfAtMostTheMaximum()
    {
        var entries = Enumerable.Range(0, ReadRecordCombiner.MaxPatientsPerRecord + 1).Select(i => Read("p" + i, "k" + i)).ToList();
        var patients = entries.Select(e => e.PatientId!).ToList();

        var combined = ReadRecordCombiner.Combine(entries);

        Assert.Equal(2, combined.Count);
        Assert.Equal(ReadRecordCombiner.MaxPatientsPerRecord, combined[0].Patients().Count);
        Assert.Equal("p1000", combined[1].PatientId);
        Assert.Equal(patients, combined.SelectMany(r => r.Patients()));
    }

    private static AuditEntry Read(string? patient, string keys) => new()
    {
        RecordId = Guid.CreateVersion7(),
        OccurredAt = DateTimeOffset.UnixEpoch,
        ActorId = "u-ther-1",
        ActorRoles = "Therapist",
        PatientId = patient,
        Action = AuditAction.Read,
        Entity = "Note",
        Categories = "ProgressNote",
        Fields = "Text\u001fWrittenAt",
        PurposeOfUse = "TREAT",
        Outcome = AuditOutcome.Success,
        RecordKeys = keys,
        QueryFingerprint = "ab",
        Decision = "Permit r1",
    };
}
