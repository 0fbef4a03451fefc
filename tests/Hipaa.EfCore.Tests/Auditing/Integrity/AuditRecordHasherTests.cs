using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Auditing.Integrity;

namespace Hipaa.EfCore.Tests.Auditing.Integrity;

/// <summary>The canonical record and chain hash, byte for byte as docs/audit.md states them.</summary>
public sealed class AuditRecordHasherTests
{
    /// <summary>The vector docs/audit.md prints: <see cref="VectorEntry"/> at position 1 after the genesis hash.</summary>
    private const string VectorHash = "a08fd53f4e8f79b4beee75efbfeb05d68f932d22154b21688b55c00dbfdadeb8";

    [Fact]
    public void Canonicalize_Entry_IsTheDocumentedLayout()
    {
        AuditEntry entry = VectorEntry();

        byte[] canonical = AuditRecordHasher.Canonicalize(entry);

        var expected = new List<byte>();
        expected.AddRange(Convert.FromHexString("0190f5a2c3d47e5f8a6b1c2d3e4f5a6b"));
        expected.AddRange(BigEndian(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero).UtcTicks));
        foreach (string? field in (string?[])[
            "u-ther-1", "Therapist", "ehr-web", "patient-1", "Read", "Note", "ProgressNote", "PSY\u001fSUD", "Text\u001fWrittenAt", string.Empty,
            "TREAT", "Success", "10.1.2.3", "req-1", null, null, null, "42", null])
        {
            if (field is null)
            {
                expected.AddRange([0xFF, 0xFF, 0xFF, 0xFF]);
            }
            else
            {
                byte[] utf8 = Encoding.UTF8.GetBytes(field);
                expected.AddRange(BigEndian((uint)utf8.Length));
                expected.AddRange(utf8);
            }
        }

        expected.AddRange(BigEndian((uint)1));
        expected.AddRange([0xFF, 0xFF, 0xFF, 0xFF]);
        Assert.Equal(Convert.ToHexString([.. expected]), Convert.ToHexString(canonical));
    }

    [Fact]
    public void ComputeHash_Entry_IsSha256OfDomainPreviousPositionAndRecord()
    {
        AuditEntry entry = VectorEntry();
        byte[] previous = RandomNumberGenerator.GetBytes(32);

        byte[] hash = AuditRecordHasher.ComputeHash(previous, 0x0102030405, entry);

        byte[] input = [.. "hipaa-audit-v1"u8, .. previous, .. BigEndian(0x0102030405L), .. AuditRecordHasher.Canonicalize(entry)];
        Assert.Equal(SHA256.HashData(input), hash);
    }

    [Fact]
    public void ComputeHash_VectorAtPositionOne_MatchesTheDocumentedHash()
    {
        byte[] hash = AuditRecordHasher.ComputeHash(AuditRecordHasher.GenesisHash, 1, VectorEntry());

        Assert.Equal(VectorHash, Convert.ToHexStringLower(hash));
    }

    [Fact]
    public void ComputeHash_RecordOfSeveralPatients_IsVersion2WithThePatientListAppended()
    {
        AuditEntry entry = VectorEntry();
        entry.PatientId = null;
        entry.PatientIds = "patient-1\u001fpatient-2";
        byte[] previous = RandomNumberGenerator.GetBytes(32);

        byte[] hash = AuditRecordHasher.ComputeHash(previous, 7, entry);

        AuditEntry withoutList = VectorEntry();
        withoutList.PatientId = null;
        byte[] list = Encoding.UTF8.GetBytes("patient-1\u001fpatient-2");
        byte[] canonical = [.. AuditRecordHasher.Canonicalize(withoutList), .. BigEndian((uint)list.Length), .. list];
        Assert.Equal(canonical, AuditRecordHasher.Canonicalize(entry));
        Assert.Equal(SHA256.HashData([.. "hipaa-audit-v2"u8, .. previous, .. BigEndian(7L), .. canonical]), hash);
    }

    [Fact]
    public void ComputeHash_PatientListChanged_ChangesTheHash()
    {
        AuditEntry original = VectorEntry();
        original.PatientId = null;
        original.PatientIds = "patient-1\u001fpatient-2";
        AuditEntry changed = VectorEntry();
        changed.PatientId = null;
        changed.PatientIds = "patient-1";

        Assert.NotEqual(
            AuditRecordHasher.ComputeHash(AuditRecordHasher.GenesisHash, 1, original),
            AuditRecordHasher.ComputeHash(AuditRecordHasher.GenesisHash, 1, changed));
    }

    public static TheoryData<string> Mutations() => [.. MutationsByName.Keys];

    [Theory]
    [MemberData(nameof(Mutations))]
    public void ComputeHash_AnyHashedFieldChanged_ChangesTheHash(string field)
    {
        AuditEntry original = VectorEntry();
        AuditEntry changed = VectorEntry();
        MutationsByName[field](changed);

        Assert.NotEqual(
            AuditRecordHasher.ComputeHash(AuditRecordHasher.GenesisHash, 1, original),
            AuditRecordHasher.ComputeHash(AuditRecordHasher.GenesisHash, 1, changed));
    }

    [Fact]
    public void ComputeHash_StoreIdAndChainColumns_AreNotHashed()
    {
        AuditEntry original = VectorEntry();
        AuditEntry changed = VectorEntry();
        changed.Id = 99;
        changed.ChainPosition = 7;
        changed.PreviousHash = new byte[32];
        changed.Hash = new byte[32];
        changed.SealedAt = DateTimeOffset.UnixEpoch;

        Assert.Equal(AuditRecordHasher.Canonicalize(original), AuditRecordHasher.Canonicalize(changed));
    }

    [Fact]
    public void ComputeHash_SameInstantInAnotherOffset_HashesTheSame()
    {
        AuditEntry utc = VectorEntry();
        AuditEntry eastern = VectorEntry();
        eastern.OccurredAt = utc.OccurredAt.ToOffset(TimeSpan.FromHours(-5));

        Assert.Equal(AuditRecordHasher.Canonicalize(utc), AuditRecordHasher.Canonicalize(eastern));
    }

    [Fact]
    public void ComputeHash_PositionOrPreviousHashChanged_ChangesTheHash()
    {
        AuditEntry entry = VectorEntry();
        byte[] atOne = AuditRecordHasher.ComputeHash(AuditRecordHasher.GenesisHash, 1, entry);

        Assert.NotEqual(atOne, AuditRecordHasher.ComputeHash(AuditRecordHasher.GenesisHash, 2, entry));
        Assert.NotEqual(atOne, AuditRecordHasher.ComputeHash(Enumerable.Repeat((byte)1, 32).ToArray(), 1, entry));
    }

    [Fact]
    public void Canonicalize_NullAndEmptyText_AreDistinct()
    {
        AuditEntry withNull = VectorEntry();
        AuditEntry withEmpty = VectorEntry();
        withNull.Description = null;
        withEmpty.Description = string.Empty;

        Assert.NotEqual(AuditRecordHasher.Canonicalize(withNull), AuditRecordHasher.Canonicalize(withEmpty));
    }

    [Fact]
    public void ComputeHash_PreviousHashOfWrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => AuditRecordHasher.ComputeHash(new byte[31], 1, VectorEntry()));
    }

    private static readonly Dictionary<string, Action<AuditEntry>> MutationsByName = new()
    {
        ["RecordId"] = e => e.RecordId = Guid.Parse("0190f5a2-c3d4-7e5f-8a6b-1c2d3e4f5a6c"),
        ["OccurredAt"] = e => e.OccurredAt = e.OccurredAt.AddTicks(1),
        ["ActorId"] = e => e.ActorId = "u-ther-2",
        ["ActorRoles"] = e => e.ActorRoles = "Therapist\u001fPsychiatrist",
        ["ClientApplication"] = e => e.ClientApplication = null,
        ["ClientApplicationEmpty"] = e => e.ClientApplication = string.Empty,
        ["PatientId"] = e => e.PatientId = "patient-2",
        ["Action"] = e => e.Action = AuditAction.Disclose,
        ["Entity"] = e => e.Entity = "Patient",
        ["Categories"] = e => e.Categories = "PsychotherapyNote",
        ["Labels"] = e => e.Labels = "PSY",
        ["Fields"] = e => e.Fields = "Text",
        ["RedactedFields"] = e => e.RedactedFields = "WrittenAt",
        ["PurposeOfUse"] = e => e.PurposeOfUse = "ETREAT",
        ["Outcome"] = e => e.Outcome = AuditOutcome.Denied,
        ["ClientAddress"] = e => e.ClientAddress = "10.1.2.4",
        ["RequestId"] = e => e.RequestId = "req-2",
        ["BreakGlassReason"] = e => e.BreakGlassReason = "unconscious patient",
        ["Recipient"] = e => e.Recipient = "County Court",
        ["Description"] = e => e.Description = "records",
        ["RecordKeys"] = e => e.RecordKeys = "43",
        ["QueryFingerprint"] = e => e.QueryFingerprint = "ab",
        ["RowCount"] = e => e.RowCount = 2,
        ["Decision"] = e => e.Decision = "rule:treat",
        ["FieldBoundary"] = e => (e.Fields, e.RedactedFields) = ("Text", "\u001fWrittenAt"),
    };

    private static AuditEntry VectorEntry() => AuditEntry.From(new AuditRecord
    {
        RecordId = Guid.Parse("0190f5a2-c3d4-7e5f-8a6b-1c2d3e4f5a6b"),
        OccurredAt = new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero),
        ActorId = "u-ther-1",
        ActorRoles = ["Therapist"],
        ClientApplication = "ehr-web",
        PatientId = "patient-1",
        Action = AuditAction.Read,
        Entity = "Note",
        Categories = ["ProgressNote"],
        Labels = ["PSY", "SUD"],
        Fields = ["Text", "WrittenAt"],
        PurposeOfUse = "TREAT",
        ClientAddress = "10.1.2.3",
        RequestId = "req-1",
        RecordKeys = ["42"],
        RowCount = 1,
    });

    private static byte[] BigEndian(long value)
    {
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] BigEndian(uint value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }
}
