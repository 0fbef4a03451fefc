using Hipaa.Policy;

namespace Hipaa.Tests.Policy;

public sealed class VocabularyTests
{
    [Fact]
    public void DataCategory_SameName_EqualAndSameHash()
    {
        Assert.Equal(DataCategory.ProgressNote, new DataCategory("ProgressNote"));
        Assert.True(DataCategory.ProgressNote == new DataCategory("ProgressNote"));
        Assert.Equal(DataCategory.ProgressNote.GetHashCode(), new DataCategory("ProgressNote").GetHashCode());
        Assert.NotEqual(DataCategory.ProgressNote, new DataCategory("progressnote"));
        Assert.Equal("ProgressNote", DataCategory.ProgressNote.ToString());
    }

    [Fact]
    public void DataCategory_Default_IsEmptyAndUnequalToNamedCategories()
    {
        DataCategory empty = default;

        Assert.True(empty.IsEmpty);
        Assert.Equal(string.Empty, empty.Name);
        Assert.NotEqual(DataCategory.All, empty);
        Assert.Throws<ArgumentException>(() => new DataCategory(" "));
    }

    [Fact]
    public void DataCategory_SeparatelyKeptNotes_AreTheTwoNoteCategories()
    {
        Assert.True(DataCategory.PsychotherapyNote.IsSeparatelyKeptNote);
        Assert.True(DataCategory.SudCounselingNote.IsSeparatelyKeptNote);
        Assert.False(DataCategory.ProgressNote.IsSeparatelyKeptNote);
    }

    [Theory]
    [InlineData("TREAT", "HPAYMT", "HOPERAT", "ETREAT", "PATRQT", "HRESCH", "HLEGAL", "HOVERSIGHT", "HTRAIN", "COC")]
    public void PurposeOfUse_WellKnownMembers_CarryTheHl7Codes(params string[] codes)
    {
        PurposeOfUse[] members =
        [
            PurposeOfUse.Treatment, PurposeOfUse.Payment, PurposeOfUse.Operations, PurposeOfUse.EmergencyTreatment,
            PurposeOfUse.PatientRequest, PurposeOfUse.Research, PurposeOfUse.Legal, PurposeOfUse.Oversight,
            PurposeOfUse.Training, PurposeOfUse.CoordinationOfCare,
        ];

        Assert.Equal(codes, members.Select(m => m.Code));
        Assert.True(new PurposeOfUse("TREAT") == PurposeOfUse.Treatment);
        Assert.True(default(PurposeOfUse).IsEmpty);
        Assert.Throws<ArgumentException>(() => new PurposeOfUse(""));
    }

    [Fact]
    public void SensitivityLabel_WellKnownMembers_CarryTheHl7Codes()
    {
        SensitivityLabel[] members =
        [
            SensitivityLabel.SubstanceUseDisorder, SensitivityLabel.SubstanceAbuse, SensitivityLabel.Psychiatry,
            SensitivityLabel.PsychotherapyNote, SensitivityLabel.Hiv, SensitivityLabel.SexualAndDomesticViolence,
        ];

        Assert.Equal(["SUD", "ETH", "PSY", "PSYTHPN", "HIV", "SDV"], members.Select(m => m.Code));
        Assert.True(new SensitivityLabel("SUD") == SensitivityLabel.SubstanceUseDisorder);
        Assert.True(default(SensitivityLabel).IsEmpty);
        Assert.Throws<ArgumentException>(() => new SensitivityLabel(" "));
    }

    [Fact]
    public void Actor_Constructor_KeepsIdentityRolesAndCareTeam()
    {
        var actor = new Actor("u1", [WellKnownRoles.Therapist], "practice", ["p1", "p1", "p2"]);

        Assert.True(actor.IsIdentified);
        Assert.Equal([WellKnownRoles.Therapist], actor.Roles);
        Assert.Equal(2, actor.CareTeamOf.Count);
        Assert.True(actor.IsOnCareTeamOf("p2"));
        Assert.False(actor.IsOnCareTeamOf("p3"));
        Assert.False(actor.IsShared);
        Assert.False(new Actor(" ", []).IsIdentified);
    }

    [Fact]
    public void Actor_MalformedArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => new Actor("u1", null!));
        Assert.Throws<ArgumentException>(() => new Actor("u1", [""]));
        Assert.Throws<ArgumentException>(() => new Actor("u1", ["Nurse"], careTeamOf: [" "]));
    }

    [Fact]
    public void FieldMask_Only_ShowsNamedFieldsIgnoringCase()
    {
        FieldMask mask = FieldMask.Only("Code", "Display");

        Assert.True(mask.IsVisible("code"));
        Assert.False(mask.IsVisible("Narrative"));
        Assert.Equal("Code, Display", mask.ToString());
        Assert.Equal("Code, Display, Narrative", mask.Union(FieldMask.Only("Narrative")).ToString());
        Assert.Same(mask, mask.Union(FieldMask.Only("CODE")));
    }

    [Fact]
    public void FieldMask_NoOrEmptyFields_Throws()
    {
        Assert.Throws<ArgumentException>(() => FieldMask.Only());
        Assert.Throws<ArgumentException>(() => FieldMask.Only("Code", ""));
    }

    [Fact]
    public void CourtOrder_Constructor_KeepsKindAndCoveredLabels()
    {
        var order = new CourtOrder(CourtOrderKind.Part2, [SensitivityLabel.SubstanceUseDisorder]);

        Assert.Equal(CourtOrderKind.Part2, order.Kind);
        Assert.True(order.CoversLabel(SensitivityLabel.SubstanceUseDisorder));
        Assert.False(order.CoversLabel(SensitivityLabel.Hiv));
        Assert.Empty(new CourtOrder(CourtOrderKind.Hipaa).Covers);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CourtOrder((CourtOrderKind)7));
    }
}
