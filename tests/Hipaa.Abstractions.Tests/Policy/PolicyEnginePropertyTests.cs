using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Hipaa.Policy;

namespace Hipaa.Tests.Policy;

public sealed class PolicyEnginePropertyTests
{
    private const int Runs = 2000;

    private static readonly PolicyEngine s_engine = PolicyEngine.Default;

    [Property(Arbitrary = [typeof(PolicyArbitraries)], MaxTest = Runs)]
    public void Decide_ActorWithNoRoles_IsDenied(PolicyCase generated)
    {
        Actor actor = generated.Request.Actor;
        AccessRequest roleless = generated.Request.WithActor(new Actor(actor.Id, [], actor.Organization, actor.CareTeamOf, actor.IsShared));

        Assert.False(s_engine.Decide(roleless).IsPermitted);
    }

    [Property(Arbitrary = [typeof(PolicyArbitraries)], MaxTest = Runs)]
    public void Decide_UnidentifiedOrSharedActor_IsDenied(PolicyCase generated)
    {
        Actor actor = generated.Request.Actor;
        AccessRequest unidentified = generated.Request.WithActor(new Actor(null, actor.Roles, actor.Organization, actor.CareTeamOf));
        AccessRequest shared = generated.Request.WithActor(new Actor(actor.Id ?? "u1", actor.Roles, actor.Organization, actor.CareTeamOf, isShared: true));

        Assert.Same(PolicyEngine.Rules.Single(r => r.Id == "identity.unique-user"), s_engine.Decide(unidentified).Rule);
        Assert.False(s_engine.Decide(shared).IsPermitted);
    }

    [Property(Arbitrary = [typeof(PolicyArbitraries)], MaxTest = Runs)]
    public void Decide_PersonalRepresentative_GetsExactlyWhatThePatientWouldGet(PolicyCase generated)
    {
        // 45 CFR 164.502(g): the representative is treated as the individual — never more, never less.
        AccessRequest request = generated.Request;
        Actor actor = request.Actor;
        AccessRequest asThePatient = request.WithActor(new Actor(request.PatientId, actor.Roles, actor.Organization, actor.CareTeamOf, actor.IsShared));
        AccessRequest asTheRepresentative = request.WithActor(
            new Actor("u-representative", actor.Roles, actor.Organization, actor.CareTeamOf, actor.IsShared, representativeOf: [request.PatientId]));

        AccessDecision patient = s_engine.Decide(asThePatient);
        AccessDecision representative = s_engine.Decide(asTheRepresentative);

        Assert.Equal(patient.Outcome, representative.Outcome);
        Assert.Equal(patient.Obligations, representative.Obligations);
        Assert.Equal(patient.FieldMask?.ToString(), representative.FieldMask?.ToString());
        Assert.Equal(
            patient.Rule.Id == "patient.right-of-access" ? "patient.personal-representative" : patient.Rule.Id,
            representative.Rule.Id);
    }

    [Property(Arbitrary = [typeof(PolicyArbitraries)], MaxTest = Runs)]
    public void Decide_RevokingOrExpiringAConsent_NeverTurnsADenyIntoAPermit(RevocationCase generated)
    {
        AccessDecision before = s_engine.Decide(generated.Request);
        AccessDecision after = s_engine.Decide(generated.Narrowed);

        Assert.True(!after.IsPermitted || before.IsPermitted, $"denied before ({before.Rule.Id}) but permitted after ({after.Rule.Id})");
    }

    [Property(Arbitrary = [typeof(PolicyArbitraries)], MaxTest = Runs)]
    public void Decide_UnrelatedConsent_ChangesNothing(UnrelatedConsentCase generated)
    {
        Requests.AssertSameDecision(s_engine.Decide(generated.Request), s_engine.Decide(generated.WithUnrelated));
    }

    [Property(Arbitrary = [typeof(PolicyArbitraries)], MaxTest = Runs)]
    public void Decide_ConsentOrder_DoesNotChangeTheDecision(ShuffledCase generated)
    {
        Requests.AssertSameDecision(s_engine.Decide(generated.Request), s_engine.Decide(generated.Shuffled));
    }

    [Property(MaxTest = Runs)]
    public Property Decide_SeparatelyKeptNoteForNonAuthorWithoutAuthorization_OnlyPermittedByAListedException() =>
        Prop.ForAll(
            PolicyArbitraries.Request(
                PolicyArbitraries.ActorGen,
                Gen.Elements(DataCategory.PsychotherapyNote, DataCategory.SudCounselingNote),
                Gen.Constant<string?>("u-author"))
                .Select(r => r.WithConsents([.. r.Consents.Where(c => c.Kind is not (ConsentKind.PsychotherapyAuthorization or ConsentKind.SudCounselingNoteConsent))]))
                .Select(r => new PolicyCase(r))
                .ToArbitrary(),
            generated =>
            {
                AccessRequest request = generated.Request;
                AccessDecision decision = s_engine.Decide(request);
                bool supervisedTraining = request.Action == PhiAction.Read && request.Purpose == PurposeOfUse.Training;
                bool oversight = request.Action is PhiAction.Disclose or PhiAction.Export
                    && request.Purpose == PurposeOfUse.Oversight && request.Recipient == "HHS";
                Assert.True(!decision.IsPermitted || supervisedTraining || oversight, $"permitted by {decision.Rule.Id}");
                Assert.True(!decision.IsPermitted || decision.Rule.Id is "notes.supervised-training" or "notes.oversight", decision.Rule.Id);
            });

    [Property(MaxTest = Runs)]
    public Property Decide_Billing_NeverGetsAClinicalNote() =>
        Prop.ForAll(
            PolicyArbitraries.Request(
                PolicyArbitraries.ActorGen.Select(a => new Actor(a.Id ?? "u-bill", [WellKnownRoles.Billing], "practice", a.CareTeamOf)),
                Gen.Elements(PolicyArbitraries.ClinicalNotes),
                Gen.Elements<string?>(null, "u-bill", "u1", "u-other"))
                .Select(r => new PolicyCase(r))
                .ToArbitrary(),
            generated => Assert.False(s_engine.Decide(generated.Request).IsPermitted));

    [Property(Arbitrary = [typeof(PolicyArbitraries)], MaxTest = Runs)]
    public void Decide_AnyRequest_ObligationsOnlyOnPermitsAndConsistentWithTheRequest(PolicyCase generated)
    {
        AccessRequest request = generated.Request;
        AccessDecision decision = s_engine.Decide(request);
        bool outside = request.Action is PhiAction.Disclose or PhiAction.Export
            && !string.IsNullOrEmpty(request.Recipient) && request.Recipient != "practice";

        Assert.Same(decision.Rule, decision.Reasons[0]);
        Assert.Equal(decision.Obligations.Count + 1, decision.Reasons.Count);
        if (!decision.IsPermitted)
        {
            Assert.Empty(decision.Obligations);
            Assert.Null(decision.FieldMask);
            return;
        }

        Assert.Equal(request.Purpose == PurposeOfUse.EmergencyTreatment, decision.HasObligation(Obligation.BreakGlassReview));
        Assert.Equal(outside, decision.HasObligation(Obligation.AccountDisclosure));
        Assert.Equal(decision.FieldMask is not null, decision.HasObligation(Obligation.MaskFields));
        Assert.True(!decision.HasObligation(Obligation.RedisclosureNotice) || (outside && request.Labels.Contains(SensitivityLabel.SubstanceUseDisorder)));
        if (outside && request.Labels.Contains(SensitivityLabel.SubstanceUseDisorder) && !request.Category.IsSeparatelyKeptNote
            && request.Purpose != PurposeOfUse.EmergencyTreatment)
        {
            Assert.True(decision.HasObligation(Obligation.RedisclosureNotice), "a Part 2 record left the practice without the 42 CFR 2.32 notice");
        }
    }

    [Property(Arbitrary = [typeof(PolicyArbitraries)], MaxTest = Runs)]
    public void Decide_SameRequestTwice_GivesTheSameDecision(PolicyCase generated)
    {
        Requests.AssertSameDecision(s_engine.Decide(generated.Request), s_engine.Decide(generated.Request));
    }

    [Fact]
    public void Generators_Requests_PermitOftenEnoughForThePropertiesToMeanSomething()
    {
        AccessRequest[] requests = [.. PolicyArbitraries.RequestGen.Sample(5000, new Rnd(42UL), 50)];
        AccessDecision[] decisions = [.. requests.Select(s_engine.Decide)];

        int permits = decisions.Count(d => d.IsPermitted);
        Assert.InRange(permits, requests.Length / 20, requests.Length - (requests.Length / 5));
        Assert.Contains(decisions, d => d.ConsentId is not null);
        Assert.Contains(decisions, d => d.HasObligation(Obligation.RedisclosureNotice));
        Assert.Contains(decisions, d => d.Rule.Id == "notes.author-use");
        Assert.Contains(decisions, d => d.Rule.Id == "break-glass.emergency-access");

        RevocationCase[] revocations = [.. PolicyArbitraries.Revocations().Generator.Sample(5000, new Rnd(7UL), 50)];
        Assert.Contains(revocations, r => s_engine.Decide(r.Request).IsPermitted && !s_engine.Decide(r.Narrowed).IsPermitted);
    }
}
