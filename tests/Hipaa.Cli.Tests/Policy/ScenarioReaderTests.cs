using Hipaa.Cli.Policy;
using Hipaa.Policy;

namespace Hipaa.Cli.Tests.Policy;

public sealed class ScenarioReaderTests
{
    private const string Full = """
        { "scenarios": [ {
          "name": "full", "cite": "ignored", "comment": "unknown fields are ignored",
          "at": "2026-03-02T16:00:00+01:00",
          "actor": { "id": "u1", "roles": ["Therapist", "Nurse"], "organization": "practice", "careTeamOf": ["p1", "p2"], "shared": true },
          "patient": "p1",
          "resource": { "category": "ProgressNote", "labels": ["SUD", "PSY"], "authorId": "u9" },
          "action": "disclose", "purpose": "TREAT", "recipient": "org-hospital", "breakGlassReason": "crisis",
          "consents": [
            { "id": "c1", "kind": "Part2", "recipients": ["org-hospital"], "purposes": ["TREAT"], "categories": ["*"],
              "from": "2026-01-01T00:00:00Z", "until": "2026-12-31T00:00:00Z", "revokedAt": "2026-06-01T00:00:00Z" },
            { "kind": "HipaaAuthorization", "from": "2026-01-01" }
          ],
          "courtOrder": { "kind": "Part2", "covers": ["SUD"] },
          "expect": { "decision": "Permit", "obligations": ["RedisclosureNotice", "AccountDisclosure"] }
        } ] }
        """;

    [Fact]
    public void Read_EveryField_MapsToTheRequest()
    {
        Scenario scenario = ScenarioReader.Read("full.json", Full).Single();
        AccessRequest request = scenario.Request;

        Assert.Equal("full", scenario.Name);
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 15, 0, 0, TimeSpan.Zero), request.At);
        Assert.Equal("u1", request.Actor.Id);
        Assert.Equal(["Therapist", "Nurse"], request.Actor.Roles);
        Assert.Equal("practice", request.Actor.Organization);
        Assert.True(request.Actor.IsOnCareTeamOf("p2"));
        Assert.True(request.Actor.IsShared);
        Assert.Equal("p1", request.PatientId);
        Assert.Equal(DataCategory.ProgressNote, request.Category);
        Assert.Equal([SensitivityLabel.SubstanceUseDisorder, SensitivityLabel.Psychiatry], request.Labels);
        Assert.Equal("u9", request.AuthorId);
        Assert.Equal(PhiAction.Disclose, request.Action);
        Assert.Equal(PurposeOfUse.Treatment, request.Purpose);
        Assert.Equal("org-hospital", request.Recipient);
        Assert.Equal("crisis", request.BreakGlassReason);
        Assert.Equal(CourtOrderKind.Part2, request.CourtOrder!.Kind);
        Assert.Equal([SensitivityLabel.SubstanceUseDisorder], request.CourtOrder.Covers);
        Assert.Equal(AccessOutcome.Permit, scenario.ExpectedOutcome);
        Assert.True(scenario.ExpectedObligations.SetEquals([Obligation.RedisclosureNotice, Obligation.AccountDisclosure]));

        Consent first = request.Consents[0];
        Assert.Equal("c1", first.Id);
        Assert.Equal("p1", first.PatientId);
        Assert.Equal(ConsentKind.Part2, first.Kind);
        Assert.Equal([DataCategory.All], first.Categories);
        Assert.Equal(new DateTimeOffset(2026, 12, 31, 0, 0, 0, TimeSpan.Zero), first.Until);
        Assert.Equal(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero), first.RevokedAt);

        Consent second = request.Consents[1];
        Assert.Equal("#2", second.Id);
        Assert.Equal(ConsentKind.HipaaAuthorization, second.Kind);
        Assert.Empty(second.Recipients);
        Assert.Null(second.Until);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), second.From);
    }

    [Fact]
    public void Read_OptionalFieldsMissing_UsesEmptyDefaults()
    {
        const string minimal = """
            { "scenarios": [ { "name": "minimal", "at": "2026-03-02T15:00:00Z", "actor": {}, "patient": "p1",
              "resource": { "category": "Claim" }, "action": "Read", "purpose": "HPAYMT", "expect": { "decision": "Deny" } } ] }
            """;

        Scenario scenario = ScenarioReader.Read("minimal.json", minimal).Single();

        Assert.Null(scenario.Request.Actor.Id);
        Assert.False(scenario.Request.Actor.IsIdentified);
        Assert.Empty(scenario.Request.Actor.Roles);
        Assert.Empty(scenario.Request.Labels);
        Assert.Empty(scenario.Request.Consents);
        Assert.Null(scenario.Request.CourtOrder);
        Assert.Null(scenario.Request.Recipient);
        Assert.Empty(scenario.ExpectedObligations);
    }

    [Fact]
    public void Read_NullOptionalValues_AreTreatedAsMissing()
    {
        const string nulls = """
            { "scenarios": [ { "name": "nulls", "at": "2026-03-02T15:00:00Z", "actor": { "id": null, "roles": null }, "patient": "p1",
              "resource": { "category": "Claim", "labels": null }, "action": "Read", "purpose": "HPAYMT", "recipient": null,
              "consents": null, "courtOrder": null, "expect": { "decision": "Deny", "obligations": null } } ] }
            """;

        Scenario scenario = ScenarioReader.Read("nulls.json", nulls).Single();

        Assert.Null(scenario.Request.Actor.Id);
        Assert.Empty(scenario.Request.Consents);
    }

    [Fact]
    public void Read_UnknownVocabulary_IsCarriedForTheEngineToDeny()
    {
        const string unknown = """
            { "scenarios": [ { "name": "unknown", "at": "2026-03-02T15:00:00Z",
              "actor": { "id": "u1", "roles": ["Researcher"], "organization": "practice" }, "patient": "p1",
              "resource": { "category": "Referral", "labels": ["GDIS"] }, "action": "Read", "purpose": "PUBHLTH",
              "expect": { "decision": "Deny" } } ] }
            """;

        Scenario scenario = ScenarioReader.Read("unknown.json", unknown).Single();

        Assert.Equal(new DataCategory("Referral"), scenario.Request.Category);
        Assert.Equal(new PurposeOfUse("PUBHLTH"), scenario.Request.Purpose);
        Assert.False(PolicyEngine.Default.Decide(scenario.Request).IsPermitted);
    }

    [Fact]
    public void ReadFile_ScenarioFileWithTwoErrors_ReportsTheFirstWithFileScenarioAndField()
    {
        const string broken = """
            { "scenarios": [ { "name": "bad dates", "at": "03/02/2026", "actor": {}, "patient": "p1",
              "resource": { "category": "Claim" }, "action": "Read", "purpose": "HPAYMT", "expect": { "decision": "Maybe" } } ] }
            """;

        ScenarioFormatException error = Assert.Throws<ScenarioFormatException>(() => ScenarioReader.Read("dates.json", broken));

        Assert.Equal(
            "dates.json: scenario #1 'bad dates': field 'at' '03/02/2026' is not an ISO-8601 date and time such as 2026-03-02T15:00:00Z.",
            error.Message);
    }
}
