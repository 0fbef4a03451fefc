using FsCheck;
using FsCheck.Fluent;
using Hipaa.Policy;
using PolicyConsent = Hipaa.Policy.Consent;

namespace Hipaa.Fhir.Tests;

/// <summary>Consents for the mapping and validation tests: one per kind, and a generator of arbitrary ones.</summary>
internal static class ConsentSamples
{
    public static readonly DateTimeOffset From = new(2026, 1, 5, 9, 30, 0, TimeSpan.Zero);

    public static PolicyConsent Of(ConsentKind kind) => kind switch
    {
        ConsentKind.Part2 => new PolicyConsent(
            "c-part2", "p1", kind, ["org-hospital"], [PurposeOfUse.Treatment], [DataCategory.ProgressNote, DataCategory.Diagnosis],
            From, From.AddYears(1)),
        ConsentKind.Part2Tpo => new PolicyConsent(
            "c-tpo", "p1", kind, [PolicyConsent.AnyRecipient], [PurposeOfUse.Treatment, PurposeOfUse.Payment, PurposeOfUse.Operations],
            [DataCategory.All], From),
        ConsentKind.SudCounselingNoteConsent => new PolicyConsent(
            "c-sudnote", "p1", kind, ["org-hospital"], [PurposeOfUse.Treatment], [DataCategory.SudCounselingNote], From, From.AddMonths(6)),
        ConsentKind.PsychotherapyAuthorization => new PolicyConsent(
            "c-psy", "p1", kind, ["County Court"], [PurposeOfUse.Legal], [DataCategory.PsychotherapyNote], From, From.AddDays(30)),
        ConsentKind.HipaaAuthorization => new PolicyConsent(
            "c-hipaa", "p1", kind, ["university-research"], [PurposeOfUse.Research], [DataCategory.LabResult], From),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Arbitrary consents the export accepts: a non-empty window, at least one recipient, purpose and category.</summary>
    public static Arbitrary<PolicyConsent> Arbitrary()
    {
        Gen<string> ids = Gen.Elements("c-1", "consent.2026.001", "Consent 7 / ä", new string('x', 80), "42");
        Gen<string> patients = Gen.Elements("p1", "patient-0190f5a2", "MRN 0042/7", "ü");
        Gen<ConsentKind> kinds = Gen.Elements(Enum.GetValues<ConsentKind>());
        Gen<string[]> recipients = Gen.OneOf(
            Gen.Constant(new[] { PolicyConsent.AnyRecipient }),
            Gen.NonEmptyListOf(Gen.Elements("org-hospital", "HHS", "County Court", "Ärztehaus Süd")).Select(l => l.ToArray()));
        Gen<PurposeOfUse[]> purposes = Gen.NonEmptyListOf(Gen.Elements(
            PurposeOfUse.Treatment, PurposeOfUse.Payment, PurposeOfUse.Operations, PurposeOfUse.Research, PurposeOfUse.Legal,
            PurposeOfUse.CoordinationOfCare, new PurposeOfUse("PUBHLTH"))).Select(l => l.ToArray());
        Gen<DataCategory[]> categories = Gen.OneOf(
            Gen.Constant(new[] { DataCategory.All }),
            Gen.NonEmptyListOf(Gen.Elements(
                DataCategory.ProgressNote, DataCategory.PsychotherapyNote, DataCategory.SudCounselingNote, DataCategory.Diagnosis,
                DataCategory.Medication, new DataCategory("Referral"))).Select(l => l.ToArray()));

        return (from id in ids
                from patient in patients
                from kind in kinds
                from to in recipients
                from purpose in purposes
                from category in categories
                from start in Times()
                from length in Gen.OneOf(Gen.Constant<TimeSpan?>(null), Durations().Select(d => (TimeSpan?)d))
                from revokedAt in Gen.OneOf(Gen.Constant<DateTimeOffset?>(null), Times().Select(t => (DateTimeOffset?)t))
                select new PolicyConsent(id, patient, kind, to, purpose, category, start, start + length, revokedAt)).ToArbitrary();
    }

    /// <summary>Times from 2000 to about 2068 at every precision (whole seconds, milliseconds, microseconds, 100 ns) and several offsets.</summary>
    private static Gen<DateTimeOffset> Times() =>
        from seconds in Gen.Choose(0, int.MaxValue)
        from fraction in Fractions()
        from offset in Gen.Elements(TimeSpan.Zero, TimeSpan.FromHours(-5), new TimeSpan(5, 30, 0), TimeSpan.FromHours(14))
        select new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(seconds).AddTicks(fraction).ToOffset(offset);

    private static Gen<TimeSpan> Durations() =>
        from seconds in Gen.Choose(0, 400_000_000)
        from fraction in Fractions()
        where seconds > 0 || fraction > 0
        select TimeSpan.FromSeconds(seconds) + TimeSpan.FromTicks(fraction);

    private static Gen<long> Fractions() => Gen.OneOf(
        Gen.Constant(0L),
        Gen.Choose(0, 999).Select(ms => ms * TimeSpan.TicksPerMillisecond),
        Gen.Choose(0, 999_999).Select(us => us * TimeSpan.TicksPerMicrosecond),
        Gen.Choose(0, 9_999_999).Select(t => (long)t));
}
