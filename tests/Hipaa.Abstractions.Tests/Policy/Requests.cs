using Hipaa.Policy;

namespace Hipaa.Tests.Policy;

/// <summary>Short ways to write the actors, consents and requests of the policy tests.</summary>
internal static class Requests
{
    public const string Patient = "p1";

    public static readonly DateTimeOffset At = new(2026, 3, 2, 15, 0, 0, TimeSpan.Zero);

    public const string Reason = "patient in crisis at the ER, treating clinician unreachable";

    public static Actor Staff(string role, string id = "u1", params string[] careTeamOf) =>
        new(id, [role], "practice", careTeamOf);

    public static Actor Therapist(params string[] careTeamOf) => Staff(WellKnownRoles.Therapist, "u-ther-1", careTeamOf);

    public static Actor Psychiatrist(params string[] careTeamOf) => Staff(WellKnownRoles.Psychiatrist, "u-psy-1", careTeamOf);

    public static Actor Nurse(params string[] careTeamOf) => Staff(WellKnownRoles.Nurse, "u-nurse-1", careTeamOf);

    public static Actor Supervisor(params string[] careTeamOf) => Staff(WellKnownRoles.ClinicalSupervisor, "u-cs-1", careTeamOf);

    public static Actor Billing => Staff(WellKnownRoles.Billing, "u-bill-1");

    public static Actor FrontDesk => Staff(WellKnownRoles.FrontDesk, "u-fd-1");

    public static Actor Compliance => Staff(WellKnownRoles.ComplianceOfficer, "u-co-1");

    public static Actor ThePatient => new(Patient, [WellKnownRoles.Patient], Patient);

    /// <summary>A parent who is the personal representative of <see cref="Patient"/> (45 CFR 164.502(g)).</summary>
    public static Actor Representative => new("u-parent-1", [WellKnownRoles.Patient], "practice", representativeOf: [Patient]);

    public static Consent ConsentOf(
        ConsentKind kind,
        string recipient = "org-hospital",
        string purpose = "TREAT",
        string category = "*",
        string id = "c1",
        string patient = Patient,
        DateTimeOffset? from = null,
        DateTimeOffset? until = null,
        DateTimeOffset? revokedAt = null) =>
        new(id, patient, kind, [recipient], [new PurposeOfUse(purpose)], [new DataCategory(category)], from ?? At.AddMonths(-2), until, revokedAt);

    public static AccessRequest For(
        Actor actor,
        DataCategory category,
        PhiAction action,
        PurposeOfUse purpose,
        string patient = Patient,
        SensitivityLabel[]? labels = null,
        string? author = null,
        string? recipient = null,
        string? reason = null,
        Consent[]? consents = null,
        CourtOrder? courtOrder = null) =>
        new()
        {
            Actor = actor,
            PatientId = patient,
            Category = category,
            Labels = labels ?? [],
            AuthorId = author,
            Action = action,
            Purpose = purpose,
            Recipient = recipient,
            BreakGlassReason = reason,
            Consents = consents ?? [],
            CourtOrder = courtOrder,
            At = At,
        };

    /// <summary>A copy of <paramref name="request"/> with other consents.</summary>
    public static AccessRequest WithConsents(this AccessRequest request, IReadOnlyList<Consent> consents) => Copy(request, request.Actor, request.Category, request.AuthorId, consents);

    /// <summary>A copy of <paramref name="request"/> by another actor.</summary>
    public static AccessRequest WithActor(this AccessRequest request, Actor actor) => Copy(request, actor, request.Category, request.AuthorId, request.Consents);

    public static AccessRequest Copy(AccessRequest request, Actor actor, DataCategory category, string? author, IReadOnlyList<Consent> consents) =>
        new()
        {
            Actor = actor,
            PatientId = request.PatientId,
            Category = category,
            Labels = request.Labels,
            AuthorId = author,
            Action = request.Action,
            Purpose = request.Purpose,
            Recipient = request.Recipient,
            BreakGlassReason = request.BreakGlassReason,
            Consents = consents,
            CourtOrder = request.CourtOrder,
            At = request.At,
        };

    /// <summary>A readable description of a request, for FsCheck counterexamples.</summary>
    public static string Describe(AccessRequest r) =>
        $"actor={r.Actor.Id ?? "null"} roles=[{string.Join(",", r.Actor.Roles)}] org={r.Actor.Organization ?? "null"} "
        + $"careTeam=[{string.Join(",", r.Actor.CareTeamOf)}] shared={r.Actor.IsShared} patient={r.PatientId} "
        + $"category={r.Category} labels=[{string.Join(",", r.Labels)}] author={r.AuthorId ?? "null"} action={r.Action} "
        + $"purpose={r.Purpose} recipient={r.Recipient ?? "null"} reason={(r.BreakGlassReason is null ? "null" : "'" + r.BreakGlassReason + "'")} "
        + $"court={(r.CourtOrder is null ? "null" : r.CourtOrder.Kind + "[" + string.Join(",", r.CourtOrder.Covers) + "]")} consents=["
        + string.Join("; ", r.Consents.Select(c =>
            $"{c.Id}:{c.Kind} patient={c.PatientId} to=[{string.Join(",", c.Recipients)}] for=[{string.Join(",", c.Purposes)}] "
            + $"of=[{string.Join(",", c.Categories)}] {c.From:yyyy-MM-dd}..{c.Until?.ToString("yyyy-MM-dd") ?? "open"} revoked={c.RevokedAt?.ToString("yyyy-MM-dd") ?? "no"}"))
        + "]";

    /// <summary>Whether two decisions are the same in every observable respect.</summary>
    public static void AssertSameDecision(AccessDecision expected, AccessDecision actual)
    {
        Assert.Equal(expected.Outcome, actual.Outcome);
        Assert.Same(expected.Rule, actual.Rule);
        Assert.Equal(expected.Obligations, actual.Obligations);
        Assert.Equal(expected.ConsentId, actual.ConsentId);
        Assert.Equal(expected.FieldMask?.ToString(), actual.FieldMask?.ToString());
    }
}
