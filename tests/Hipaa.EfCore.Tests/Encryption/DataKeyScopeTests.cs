using Hipaa.EfCore.Encryption;

namespace Hipaa.EfCore.Tests.Encryption;

/// <summary>Scope ids are validated and normalized per kind, so that a shred names the keys the writes used.</summary>
public sealed class DataKeyScopeTests
{
    private static readonly Guid Patient = Guid.Parse("6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b");

    public static TheoryData<string> SpellingsOfOneGuid =>
    [
        "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b",
        "6F1C2A9E-3B4D-4E5F-8A7B-9C0D1E2F3A4B",
        "6f1c2a9e3b4d4e5f8a7b9c0d1e2f3a4b",
        "{6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b}",
        "(6F1C2A9E-3B4D-4E5F-8A7B-9C0D1E2F3A4B)",
    ];

    [Theory]
    [MemberData(nameof(SpellingsOfOneGuid))]
    public void ForPatient_AnySpellingOfAGuid_NamesTheScopeTheWritesUse(string spelling)
    {
        var scope = DataKeyScope.ForPatient(spelling);

        Assert.Equal("patient:6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b", scope.Name);
        Assert.Equal(DataKeyScope.ForPatient(Patient), scope);
    }

    [Fact]
    public void ForPatient_NumbersAndOtherText_AreKeptAsTheyAre()
    {
        Assert.Equal("patient:42", DataKeyScope.ForPatient(42).Name);
        Assert.Equal("patient:42", DataKeyScope.ForPatient("42").Name);
        Assert.Equal("patient:MRN-0042", DataKeyScope.ForPatient("MRN-0042").Name);
    }

    public static TheoryData<string> MalformedPatientIds =>
    [
        " 6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b",
        "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b\n",
        "MRN-0042 ",
        "MRN\u0000-0042",
        "MRN\t0042",
        new string('7', 300),
    ];

    [Theory]
    [MemberData(nameof(MalformedPatientIds))]
    public void ForPatient_IdWithWhiteSpaceControlCharactersOrTooLong_ThrowsArgumentExceptionThatDoesNotEchoTheId(string id)
    {
        var failure = Assert.Throws<ArgumentException>(() => DataKeyScope.ForPatient(id));

        Assert.Equal("patientId", failure.ParamName);
        Assert.DoesNotContain(id.Trim(), failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(" Notes", "Text")]
    [InlineData("Notes", "Text\n")]
    [InlineData("Notes", "")]
    public void ForColumn_NameWithWhiteSpaceOrEmpty_ThrowsArgumentException(string table, string column) =>
        Assert.ThrowsAny<ArgumentException>(() => DataKeyScope.ForColumn(table, column));
}
