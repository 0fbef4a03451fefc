using FsCheck;
using FsCheck.Fluent;
using Hipaa.Policy;

namespace Hipaa.Tests.Policy;

/// <summary>
/// Generators biased towards requests that could plausibly be permitted (care teams that include the patient, consents
/// that name the request's recipient, purpose and category, validity windows around the request), so that the
/// properties are not satisfied vacuously by denies. <see cref="PolicyEnginePropertyTests"/> checks that bias.
/// </summary>
public static class PolicyArbitraries
{
    private static readonly string[] s_roles =
    [
        WellKnownRoles.Therapist, WellKnownRoles.Psychiatrist, WellKnownRoles.Nurse, WellKnownRoles.Billing,
        WellKnownRoles.FrontDesk, WellKnownRoles.ClinicalSupervisor, WellKnownRoles.ComplianceOfficer,
        WellKnownRoles.Patient, WellKnownRoles.ExternalProvider, "Researcher",
    ];

    private static readonly DataCategory[] s_categories =
    [
        DataCategory.Demographics, DataCategory.Appointment, DataCategory.ProgressNote, DataCategory.PsychotherapyNote,
        DataCategory.SudCounselingNote, DataCategory.Medication, DataCategory.Diagnosis, DataCategory.TreatmentPlan,
        DataCategory.LabResult, DataCategory.Claim, DataCategory.Consent, DataCategory.AuditLog, new("Referral"),
    ];

    private static readonly PurposeOfUse[] s_purposes =
    [
        PurposeOfUse.Treatment, PurposeOfUse.Payment, PurposeOfUse.Operations, PurposeOfUse.EmergencyTreatment,
        PurposeOfUse.PatientRequest, PurposeOfUse.Research, PurposeOfUse.Legal, PurposeOfUse.Oversight,
        PurposeOfUse.Training, PurposeOfUse.CoordinationOfCare, new("HMARKT"),
    ];

    // The actions of the role matrix; Reencrypt (key maintenance) is decided by the purpose alone, tested on its own.
    private static readonly PhiAction[] s_actions = [.. Enum.GetValues<PhiAction>().Where(a => a != PhiAction.Reencrypt)];

    private static readonly ConsentKind[] s_kinds = Enum.GetValues<ConsentKind>();

    public static DataCategory[] ClinicalNotes { get; } = [DataCategory.ProgressNote, DataCategory.PsychotherapyNote, DataCategory.SudCounselingNote];

    public static Gen<Actor> ActorGen { get; } =
        from id in Gen.Frequency((10, Gen.Elements<string?>("u1", "u2", "p1")), (1, Gen.Elements<string?>(null, "", "  ")))
        from roles in Gen.Frequency(
            (6, Gen.Elements(s_roles).Select(role => new[] { role })),
            (2, Gen.SubListOf(s_roles).Where(r => r.Count <= 3).Select(r => r.ToArray())),
            (1, Gen.Constant(Array.Empty<string>())))
        from organization in Gen.Elements<string?>("practice", "practice", "org-hospital", null)
        from careTeam in Gen.Elements<string[]>(["p1"], ["p1"], ["p1", "p2"], ["p2"], [])
        from shared in Gen.Frequency((12, Gen.Constant(false)), (1, Gen.Constant(true)))
        select new Actor(id, roles, organization, careTeam, shared);

    public static Gen<AccessRequest> RequestGen { get; } = Request(ActorGen, Gen.Elements(s_categories), Gen.Elements<string?>(null, "u1", "u2", "u-other"));

    public static Arbitrary<PolicyCase> Cases() => RequestGen.Select(r => new PolicyCase(r)).ToArbitrary();

    public static Arbitrary<RevocationCase> Revocations() =>
        (from request in RequestGen.Where(r => r.Consents.Count > 0)
         from index in Gen.Choose(0, request.Consents.Count - 1)
         from expire in Gen.Elements(false, true)
         from days in Gen.Choose(-40, 40)
         select new RevocationCase(request, request.WithConsents(Narrow(request.Consents, index, expire, Requests.At.AddDays(days)))))
        .ToArbitrary();

    public static Arbitrary<UnrelatedConsentCase> Unrelated() =>
        (from request in RequestGen
         from unrelated in UnrelatedConsentGen(request)
         from position in Gen.Choose(0, request.Consents.Count)
         select new UnrelatedConsentCase(request, request.WithConsents([.. request.Consents.Take(position), unrelated, .. request.Consents.Skip(position)])))
        .ToArbitrary();

    public static Arbitrary<ShuffledCase> Shuffles() =>
        (from request in RequestGen.Where(r => r.Consents.Count > 1)
         from shuffled in Gen.Shuffle(request.Consents.ToArray())
         select new ShuffledCase(request, request.WithConsents(shuffled)))
        .ToArbitrary();

    /// <summary>Requests by the given actors on the given categories; everything else as <see cref="RequestGen"/>.</summary>
    public static Gen<AccessRequest> Request(Gen<Actor> actors, Gen<DataCategory> categories, Gen<string?> authors) =>
        from actor in actors
        from patient in Gen.Elements("p1", "p1", "p2")
        from category in categories
        from labels in Gen.Frequency(
            (3, Gen.Constant(Array.Empty<SensitivityLabel>())),
            (2, Gen.Constant(new[] { SensitivityLabel.SubstanceUseDisorder })),
            (1, Gen.SubListOf(SensitivityLabel.SubstanceUseDisorder, SensitivityLabel.Psychiatry, SensitivityLabel.PsychotherapyNote, SensitivityLabel.Hiv).Select(l => l.ToArray())))
        from author in authors
        from action in Gen.Frequency((4, Gen.Constant(PhiAction.Read)), (3, Gen.Elements(s_actions)))
        from purpose in Gen.Frequency((3, PurposeFitting(actor)), (1, Gen.Elements(s_purposes)))
        from recipient in Gen.Elements<string?>(null, "practice", "org-hospital", "org-hospital", "HHS", "payer-acme", "univ-lab")
        from reason in Gen.Elements<string?>(null, string.Empty, Requests.Reason, Requests.Reason)
        from courtOrder in Gen.Elements<CourtOrder?>(
            null, null, null, new CourtOrder(CourtOrderKind.Part2, [SensitivityLabel.SubstanceUseDisorder]),
            new CourtOrder(CourtOrderKind.Hipaa), new CourtOrder(CourtOrderKind.Part2))
        from count in Gen.Frequency((2, Gen.Constant(0)), (5, Gen.Choose(1, 4)))
        from consents in Gen.ArrayOf(ConsentGen(patient, recipient ?? actor.Organization, purpose, category), count)
        select new AccessRequest
        {
            Actor = actor,
            PatientId = patient,
            Category = category,
            Labels = labels,
            AuthorId = author,
            Action = action,
            Purpose = purpose,
            Recipient = recipient,
            BreakGlassReason = reason,
            Consents = consents,
            CourtOrder = courtOrder,
            At = Requests.At,
        };

    /// <summary>A purpose one of the actor's roles may act for in the default catalog, so that rule 2 does not deny everything.</summary>
    private static Gen<PurposeOfUse> PurposeFitting(Actor actor)
    {
        string role = actor.Roles.Count > 0 ? actor.Roles[0] : string.Empty;
        PurposeOfUse[] fitting = role switch
        {
            WellKnownRoles.Therapist or WellKnownRoles.Psychiatrist or WellKnownRoles.Nurse =>
                [PurposeOfUse.Treatment, PurposeOfUse.CoordinationOfCare, PurposeOfUse.EmergencyTreatment, PurposeOfUse.Research],
            WellKnownRoles.ClinicalSupervisor =>
                [PurposeOfUse.Treatment, PurposeOfUse.CoordinationOfCare, PurposeOfUse.EmergencyTreatment, PurposeOfUse.Training],
            WellKnownRoles.Billing => [PurposeOfUse.Payment, PurposeOfUse.Operations],
            WellKnownRoles.FrontDesk => [PurposeOfUse.Operations, PurposeOfUse.Treatment],
            WellKnownRoles.ComplianceOfficer => [PurposeOfUse.Operations, PurposeOfUse.Oversight, PurposeOfUse.Legal],
            WellKnownRoles.Patient => [PurposeOfUse.PatientRequest],
            _ => s_purposes,
        };
        return Gen.Elements(fitting);
    }

    private static Gen<Consent> ConsentGen(string patient, string? recipient, PurposeOfUse purpose, DataCategory category) =>
        from id in Gen.Elements("c1", "c2", "c3", "c4", "c5", "c6")
        from owner in Gen.Frequency((6, Gen.Constant(patient)), (1, Gen.Constant("p-other")))
        from kind in Gen.Elements(s_kinds)
        from recipients in Gen.SubListOf(Consent.AnyRecipient, recipient ?? "practice", "org-other")
        from purposes in Gen.SubListOf(purpose, PurposeOfUse.Treatment, PurposeOfUse.Payment, PurposeOfUse.Research)
        from categories in Gen.SubListOf(DataCategory.All, category, DataCategory.Demographics)
        from fromDays in Gen.Choose(-60, 10)
        from until in Gen.Frequency((2, Gen.Constant<int?>(null)), (1, Gen.Choose(-10, 60).Select(d => (int?)d)))
        from revoked in Gen.Frequency((3, Gen.Constant<int?>(null)), (1, Gen.Choose(-30, 30).Select(d => (int?)d)))
        select new Consent(
            id, owner, kind, recipients, purposes, categories, Requests.At.AddDays(fromDays),
            until is { } u ? Requests.At.AddDays(u) : null,
            revoked is { } r ? Requests.At.AddDays(r) : null);

    /// <summary>Consents that must not change a decision: another patient's, not in force at the time, or naming nothing the request needs.</summary>
    private static Gen<Consent> UnrelatedConsentGen(AccessRequest request) =>
        from kind in Gen.Elements(s_kinds)
        from variant in Gen.Choose(0, 4)
        select variant switch
        {
            0 => new Consent("u-other-patient", "p-other", kind, [Consent.AnyRecipient], s_purposes, [DataCategory.All], Requests.At.AddYears(-1)),
            1 => new Consent("u-future", request.PatientId, kind, [Consent.AnyRecipient], s_purposes, [DataCategory.All], Requests.At.AddSeconds(1)),
            2 => new Consent("u-expired", request.PatientId, kind, [Consent.AnyRecipient], s_purposes, [DataCategory.All], Requests.At.AddYears(-1), until: Requests.At),
            3 => new Consent("u-revoked", request.PatientId, kind, [Consent.AnyRecipient], s_purposes, [DataCategory.All], Requests.At.AddYears(-1), revokedAt: Requests.At),
            _ => new Consent("u-elsewhere", request.PatientId, kind, ["org-unrelated"], s_purposes, [new DataCategory("Unrelated")], Requests.At.AddYears(-1)),
        };

    private static Consent[] Narrow(IReadOnlyList<Consent> consents, int index, bool expire, DateTimeOffset when)
    {
        Consent[] narrowed = [.. consents];
        Consent c = narrowed[index];
        narrowed[index] = expire
            ? new Consent(c.Id, c.PatientId, c.Kind, c.Recipients, c.Purposes, c.Categories, c.From, c.Until is { } until && until < when ? until : when, c.RevokedAt)
            : c.RevokedAt is null ? c.Revoke(when) : new Consent(c.Id, c.PatientId, c.Kind, c.Recipients, c.Purposes, c.Categories, c.From, c.Until, c.RevokedAt < when ? c.RevokedAt : when);
        return narrowed;
    }
}
