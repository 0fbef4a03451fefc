using Hipaa.AspNetCore.Tests.Infrastructure;
using Hipaa.Auditing;
using Hipaa.Policy;

namespace Hipaa.AspNetCore.Tests.EndToEnd;

/// <summary>
/// The practice's data for the end-to-end tests: patient Ada (on the care team of the therapist and the psychiatrist)
/// with a record in every category, patient Ben (on the care team of a second therapist only), the users who call the
/// endpoints, and the PHI text a response must not contain for a user who may not see it.
/// </summary>
public sealed class Chart
{
    public static readonly DateTimeOffset Day = new(2026, 3, 2, 15, 0, 0, TimeSpan.Zero);

    public Guid Ada { get; } = Guid.NewGuid();

    public Guid Ben { get; } = Guid.NewGuid();

    public Guid TherapistNote { get; } = Guid.NewGuid();

    public Guid PsychiatristNote { get; } = Guid.NewGuid();

    public Guid BenNote { get; } = Guid.NewGuid();

    public Guid Prescription { get; } = Guid.NewGuid();

    public Guid Diagnosis { get; } = Guid.NewGuid();

    public Guid Claim { get; } = Guid.NewGuid();

    public Guid TherapistPsychotherapyNote { get; } = Guid.NewGuid();

    public Guid PsychiatristPsychotherapyNote { get; } = Guid.NewGuid();

    public const string AdaName = "Ada Lovelace";
    public const string AdaSsn = "123-45-6789";
    public const string TherapistNoteText = "Reports improved sleep; continue CBT-I.";
    public const string PsychiatristNoteText = "Tolerating the new medication; mild nausea in the first week.";
    public const string BenNoteText = "Discussed relapse-prevention plan.";
    public const string Drug = "sertraline";
    public const string Dose = "50 mg daily";
    public const string DiagnosisCode = "F33.1";
    public const string DiagnosisDisplay = "Major depressive disorder, recurrent, moderate";
    public const string Narrative = "Low mood since losing her job; passive ideation without plan.";
    public const string ClaimPayer = "Acme Health";
    public const string TherapistProcessNote = "Process note: explored grief about her father.";
    public const string PsychiatristProcessNote = "Process note: transference themes in the session.";

    /// <summary>Therapist on Ada's care team; signs in through the EHR web client (azp).</summary>
    public TestUser Therapist => new("therapist", ("sub", "u-ther"), ("role", WellKnownRoles.Therapist), ("care_team", Id(Ada)), ("azp", "ehr-web"));

    /// <summary>Psychiatrist (prescriber) on Ada's care team.</summary>
    public TestUser Psychiatrist => new("psychiatrist", ("sub", "u-psy"), ("role", WellKnownRoles.Psychiatrist), ("care_team", Id(Ada)));

    public TestUser Billing => new("billing", ("sub", "u-bill"), ("role", WellKnownRoles.Billing));

    public TestUser FrontDesk => new("frontdesk", ("sub", "u-desk"), ("role", WellKnownRoles.FrontDesk));

    /// <summary>A therapist of the practice who treats Ben, not Ada.</summary>
    public TestUser OffTeamTherapist => new("off-team therapist", ("sub", "u-ther-2"), ("role", WellKnownRoles.Therapist), ("care_team", Id(Ben)));

    /// <summary>Every PHI value of the chart, by what it is: a response shows exactly the ones its user may see.</summary>
    public static IReadOnlyDictionary<string, string> Phi { get; } = new Dictionary<string, string>
    {
        ["name"] = AdaName,
        ["ssn"] = AdaSsn,
        ["Ben's progress note"] = BenNoteText,
        ["therapist's progress note"] = TherapistNoteText,
        ["psychiatrist's progress note"] = PsychiatristNoteText,
        ["dose"] = Dose,
        ["drug"] = Drug,
        ["narrative"] = Narrative,
        ["payer"] = ClaimPayer,
        ["therapist's process note"] = TherapistProcessNote,
        ["psychiatrist's process note"] = PsychiatristProcessNote,
    };

    public static string Id(Guid patient) => patient.ToString();

    /// <summary>Writes the chart as the practice's staff would, each through enforcement with the rights of their role.</summary>
    public async Task SeedAsync(ChartDb db)
    {
        string[] careTeam = [Id(Ada), Id(Ben)];
        await AsAsync(db, new Actor("u-desk", [WellKnownRoles.FrontDesk], "practice"), PurposeOfUse.Operations, async () =>
        {
            db.Patients.Add(new Patient { Id = Ada, Name = AdaName, Ssn = AdaSsn, BirthDate = new DateOnly(1985, 12, 10) });
            db.Patients.Add(new Patient { Id = Ben, Name = "Ben Kowalski", Ssn = "987-65-4321", BirthDate = new DateOnly(1979, 4, 2) });
            await db.SaveChangesAsync();
        });
        await AsAsync(db, new Actor("u-ther", [WellKnownRoles.Therapist], "practice", careTeam), PurposeOfUse.Treatment, async () =>
        {
            db.ProgressNotes.Add(new ProgressNote { Id = TherapistNote, PatientId = Ada, WrittenBy = "u-ther", WrittenAt = Day, Text = TherapistNoteText });
            db.ProgressNotes.Add(new ProgressNote { Id = BenNote, PatientId = Ben, WrittenBy = "u-ther", WrittenAt = Day, Text = BenNoteText });
            db.PsychotherapyNotes.Add(new PsychotherapyNote { Id = TherapistPsychotherapyNote, PatientId = Ada, AuthorId = "u-ther", Text = TherapistProcessNote });
            await db.SaveChangesAsync();
        });
        await AsAsync(db, new Actor("u-psy", [WellKnownRoles.Psychiatrist], "practice", careTeam), PurposeOfUse.Treatment, async () =>
        {
            db.ProgressNotes.Add(new ProgressNote { Id = PsychiatristNote, PatientId = Ada, WrittenBy = "u-psy", WrittenAt = Day.AddDays(1), Text = PsychiatristNoteText });
            db.PsychotherapyNotes.Add(new PsychotherapyNote { Id = PsychiatristPsychotherapyNote, PatientId = Ada, AuthorId = "u-psy", Text = PsychiatristProcessNote });
            db.Prescriptions.Add(new Prescription { Id = Prescription, PatientId = Ada, Drug = Drug, Dose = Dose });
            db.Diagnoses.Add(new Diagnosis { Id = Diagnosis, PatientId = Ada, Code = DiagnosisCode, CodeSystem = "ICD-10-CM", Display = DiagnosisDisplay, Narrative = Narrative });
            await db.SaveChangesAsync();
        });
        await AsAsync(db, new Actor("u-bill", [WellKnownRoles.Billing], "practice"), PurposeOfUse.Payment, async () =>
        {
            db.Claims.Add(new InsuranceClaim { Id = Claim, PatientId = Ada, ProcedureCode = "90837", DiagnosisCode = DiagnosisCode, Payer = ClaimPayer, Amount = 180.00m });
            await db.SaveChangesAsync();
        });
        db.ChangeTracker.Clear();
    }

    /// <summary>One member of staff's work; the context then forgets what it tracked (one actor per context).</summary>
    private static async Task AsAsync(ChartDb db, Actor actor, PurposeOfUse purpose, Func<Task> work)
    {
        using (AccessContext.Begin(new AccessContext(actor, purpose) { RequestId = "seed" }))
        {
            await work();
        }

        db.ChangeTracker.Clear();
    }
}
