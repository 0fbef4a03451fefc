using System.Globalization;
using Hipaa.Auditing;
using Hipaa.Policy;
using Hipaa.Samples.Clinic.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.Samples.Clinic.Seed;

/// <summary>
/// The sample practice, deterministic: 15 staff (six therapists, three psychiatrists, a nurse, a clinical supervisor, two
/// billing clerks, the front desk and the compliance officer) and 36 patients with appointments, progress notes,
/// psychotherapy notes, prescriptions, diagnoses, claims, SUD program (42 CFR Part 2) records and consents. The same ids,
/// names and contents on every run, so tools and tests can name them. Every record is written through EF Core under the
/// access context of the staff member who would write it, so the seed itself is in the audit trail, decided by policy.
/// </summary>
public sealed class ClinicSeed
{
    /// <summary>The recipient of Part 2 disclosures in the story: the county hospital's emergency department.</summary>
    public const string CountyHospital = "org-county-hospital";

    /// <summary>A recipient no consent names.</summary>
    public const string RecoveryCenter = "org-harbor-recovery";

    /// <summary>The practice's own organization id (the default catalog's <c>RoleCatalog.PracticeOrganization</c>).</summary>
    public const string Practice = "practice";

    private const int PatientCount = 36;

    private static readonly string[] FirstNames =
    [
        "Ada", "Ben", "Carmen", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Imani", "Jonas", "Keiko", "Luis",
        "Maya", "Nikhil", "Olivia", "Pavel", "Quinn", "Rosa", "Samir", "Tessa", "Umar", "Vera", "Wes", "Ximena",
        "Yusuf", "Zoe", "Aaron", "Bianca", "Caleb", "Dana", "Eli", "Fatima", "Gabe", "Hana", "Ivan", "Jade",
    ];

    private static readonly string[] LastInitials = ["L", "K", "R", "V", "M", "H", "O", "T", "N", "S", "P", "W"];

    private static readonly (string Code, string Display, string Narrative)[] Conditions =
    [
        ("F41.1", "Generalized anxiety disorder", "Persistent worry most days for over a year; sleep onset insomnia."),
        ("F33.1", "Major depressive disorder, recurrent, moderate", "Third episode; anhedonia and low energy, no SI."),
        ("F43.10", "Post-traumatic stress disorder, unspecified", "Intrusive memories after a car accident; avoids driving."),
        ("F90.0", "ADHD, predominantly inattentive type", "Lifelong inattention confirmed by collateral history."),
        ("F31.81", "Bipolar II disorder", "Hypomanic episodes of 4-5 days; current phase euthymic."),
        ("F42.2", "Obsessive-compulsive disorder, mixed", "Checking rituals about 2 hours a day."),
    ];

    private static readonly (string Drug, string Dose)[] Medications =
    [
        ("sertraline", "50 mg daily"), ("bupropion XL", "150 mg every morning"), ("lamotrigine", "100 mg twice daily"),
        ("buprenorphine/naloxone", "8 mg/2 mg sublingual daily"), ("prazosin", "2 mg at bedtime"), ("fluoxetine", "20 mg daily"),
    ];

    private static readonly string[] ProgressTexts =
    [
        "Reports improved sleep; continue CBT-I and the sleep diary.",
        "Practised exposure hierarchy step 3 with moderate distress that settled within the session.",
        "Mood log reviewed: fewer low days this week; behavioural activation plan extended.",
        "Discussed relapse-prevention plan; identified two high-risk situations.",
        "Worked on cognitive restructuring of work-related catastrophizing.",
        "Session focused on grief after a family loss; coping plan updated.",
    ];

    private static readonly DateTimeOffset Anchor = new(2026, 3, 2, 15, 0, 0, TimeSpan.Zero);

    private ClinicSeed()
    {
        Staff =
        [
            new("u-ther-1", "Dana Whitfield", WellKnownRoles.Therapist, "Therapist (LCSW)"),
            new("u-ther-2", "Marcus Bell", WellKnownRoles.Therapist, "Therapist (LPC)"),
            new("u-ther-3", "Priya Raman", WellKnownRoles.Therapist, "Therapist (PsyD)"),
            new("u-ther-4", "Tomás Ortega", WellKnownRoles.Therapist, "Therapist (LMFT)"),
            new("u-ther-5", "Hannah Cole", WellKnownRoles.Therapist, "Therapist and SUD counselor (LCADC)"),
            new("u-ther-6", "Sam Okafor", WellKnownRoles.Therapist, "Therapist (LCSW)"),
            new("u-psy-1", "Dr. Irene Novak", WellKnownRoles.Psychiatrist, "Psychiatrist"),
            new("u-psy-2", "Dr. Kenji Mori", WellKnownRoles.Psychiatrist, "Psychiatrist"),
            new("u-psy-3", "Dr. Alicia Reyes", WellKnownRoles.Psychiatrist, "Child and adolescent psychiatrist"),
            new("u-nurse-1", "Joan Park, RN", WellKnownRoles.Nurse, "Psychiatric nurse"),
            new("u-sup-1", "Dr. Ruth Adler", WellKnownRoles.ClinicalSupervisor, "Clinical supervisor"),
            new("u-bill-1", "Greg Fox", WellKnownRoles.Billing, "Billing specialist"),
            new("u-bill-2", "Lena Ivers", WellKnownRoles.Billing, "Billing specialist"),
            new("u-desk-1", "Omar Haddad", WellKnownRoles.FrontDesk, "Front desk"),
            new("u-priv-1", "Beatrice Stone", WellKnownRoles.ComplianceOfficer, "Compliance and privacy officer"),
        ];

        var patients = new List<SeedPatient>();
        for (int i = 0; i < PatientCount; i++)
        {
            patients.Add(new SeedPatient(
                Number: i + 1,
                Id: Guid.Parse(string.Create(CultureInfo.InvariantCulture, $"5eed0000-0000-4000-8000-{i + 1:D12}")),
                Name: FirstNames[i] + " " + LastInitials[i % LastInitials.Length] + ".",
                Mrn: string.Create(CultureInfo.InvariantCulture, $"MRN-{1001 + i}"),
                TherapistId: "u-ther-" + ((i % 6) + 1).ToString(CultureInfo.InvariantCulture),
                PsychiatristId: i % 2 == 0 ? "u-psy-" + (((i / 2) % 3) + 1).ToString(CultureInfo.InvariantCulture) : null,
                InSudProgram: i % 5 == 0,
                HasPsychotherapyNote: i % 3 == 0));
        }

        Patients = patients;
    }

    /// <summary>Gets the seed.</summary>
    public static ClinicSeed Default { get; } = new();

    /// <summary>Gets the 15 staff members.</summary>
    public IReadOnlyList<StaffMember> Staff { get; }

    /// <summary>Gets the 36 patients.</summary>
    public IReadOnlyList<SeedPatient> Patients { get; }

    /// <summary>Gets the story's patient: Ada, in the SUD program, seen by a therapist and a psychiatrist, no Part 2 consent yet.</summary>
    public SeedPatient Ada => Patients[0];

    /// <summary>Gets a patient of another care team: Ben, whom the story's therapist does not treat.</summary>
    public SeedPatient Ben => Patients[1];

    /// <summary>Gets the staff member with <paramref name="userId"/>.</summary>
    /// <param name="userId">The user id.</param>
    /// <returns>The staff member.</returns>
    /// <exception cref="ArgumentException">No staff member has that id.</exception>
    public StaffMember StaffMember(string userId) =>
        Staff.FirstOrDefault(s => s.Id == userId) ?? throw new ArgumentException($"The seed has no staff member '{userId}'.", nameof(userId));

    /// <summary>
    /// The patients <paramref name="userId"/> has a treatment relationship with: a therapist's and a psychiatrist's own
    /// patients, the nurse's the patients on medication, the supervisor's those of the two therapists she supervises;
    /// nobody else's (billing, the front desk and the compliance officer need no care team).
    /// </summary>
    /// <param name="userId">The staff member's user id.</param>
    /// <returns>The patient ids.</returns>
    public IReadOnlyList<string> CareTeamOf(string userId) =>
    [
        .. Patients.Where(p => p.TherapistId == userId
            || p.PsychiatristId == userId
            || (userId == "u-nurse-1" && p.PsychiatristId is not null)
            || (userId == "u-sup-1" && p.TherapistId is "u-ther-1" or "u-ther-2")).Select(p => p.PatientId),
    ];

    /// <summary>The access context of <paramref name="userId"/>, as the web app's sign-in would give it.</summary>
    /// <param name="userId">The staff member's user id.</param>
    /// <param name="purpose">The purpose of use; <see langword="null"/> for the role's default (TREAT, HPAYMT or HOPERAT).</param>
    /// <param name="breakGlassReason">The emergency reason, with <see cref="PurposeOfUse.EmergencyTreatment"/>.</param>
    /// <returns>The context.</returns>
    public AccessContext ContextFor(string userId, PurposeOfUse? purpose = null, string? breakGlassReason = null)
    {
        StaffMember staff = StaffMember(userId);
        PurposeOfUse defaultPurpose = staff.Role switch
        {
            WellKnownRoles.Billing => PurposeOfUse.Payment,
            WellKnownRoles.FrontDesk or WellKnownRoles.ComplianceOfficer => PurposeOfUse.Operations,
            _ => PurposeOfUse.Treatment,
        };
        return new AccessContext(new Actor(staff.Id, [staff.Role], Practice, CareTeamOf(staff.Id)), purpose ?? defaultPurpose)
        {
            ClientAddress = "10.0.0." + (20 + Staff.ToList().IndexOf(staff)).ToString(CultureInfo.InvariantCulture),
            ClientApplication = "clinic-seed",
            BreakGlassReason = breakGlassReason,
        };
    }

    /// <summary>
    /// Writes the practice into an empty database, each record under the context of the staff member who would write it;
    /// does nothing when patients exist already. Needs the services the sample registers (<c>ClinicServices</c>): the
    /// <see cref="ClinicDb"/> factory and the consent store.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="progress">Told each step's name, for a progress display.</param>
    /// <param name="cancellationToken">Cancels the seed.</param>
    /// <returns><see langword="true"/> when the seed was written; <see langword="false"/> when the database held patients.</returns>
    public async Task<bool> SeedAsync(IServiceProvider services, Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        var contexts = services.GetRequiredService<IDbContextFactory<ClinicDb>>();
        var consents = services.GetRequiredService<IConsentStore>();

        progress?.Invoke("front desk registers 36 patients and their appointments");
        bool written = await AsAsync(contexts, "u-desk-1", async db =>
        {
            if (await db.Patients.AnyAsync(cancellationToken))
            {
                return false;
            }

            foreach (SeedPatient p in Patients)
            {
                int i = p.Number - 1;
                db.Patients.Add(new Patient
                {
                    Id = p.Id,
                    DisplayName = p.Name,
                    Mrn = p.Mrn,
                    Ssn = string.Create(CultureInfo.InvariantCulture, $"9{i:D2}-{(i * 7 % 90) + 10:D2}-{1000 + (i * 37 % 9000):D4}"),
                    BirthDate = new DateOnly(1960 + (i * 7 % 45), (i % 12) + 1, (i % 27) + 1),
                    Phone = string.Create(CultureInfo.InvariantCulture, $"(555) 01{i % 10}-{2000 + i:D4}"),
                });
                db.Appointments.Add(new Appointment
                {
                    Id = Id(p, 1),
                    PatientId = p.Id,
                    ClinicianId = p.TherapistId,
                    StartsAt = Anchor.AddDays(-28 + i),
                    Kind = "Intake",
                    Reason = "New patient intake, referred by primary care.",
                });
                db.Appointments.Add(new Appointment
                {
                    Id = Id(p, 2),
                    PatientId = p.Id,
                    ClinicianId = p.PsychiatristId ?? p.TherapistId,
                    StartsAt = Anchor.AddDays(7 + i).AddHours(i % 4),
                    Kind = p.PsychiatristId is null ? "Therapy" : "Medication management",
                    Reason = "Follow-up.",
                });
            }

            await db.SaveChangesAsync(cancellationToken);
            return true;
        });
        if (!written)
        {
            return false;
        }

        progress?.Invoke("therapists write progress notes, psychotherapy notes, diagnoses and SUD program records");
        foreach (StaffMember therapist in Staff.Where(s => s.Role == WellKnownRoles.Therapist))
        {
            await AsAsync(contexts, therapist.Id, async db =>
            {
                foreach (SeedPatient p in Patients.Where(p => p.TherapistId == therapist.Id))
                {
                    int i = p.Number - 1;
                    for (int n = 0; n < 2; n++)
                    {
                        db.ProgressNotes.Add(new ProgressNote
                        {
                            Id = Id(p, 10 + n),
                            PatientId = p.Id,
                            AuthorId = therapist.Id,
                            WrittenAt = Anchor.AddDays(-21 + i + (7 * n)),
                            Text = ProgressTexts[(i + n) % ProgressTexts.Length],
                        });
                    }

                    if (p.HasPsychotherapyNote)
                    {
                        db.PsychotherapyNotes.Add(new PsychotherapyNote
                        {
                            Id = Id(p, 20),
                            PatientId = p.Id,
                            AuthorId = therapist.Id,
                            WrittenAt = Anchor.AddDays(-14 + i),
                            Text = "Process note: transference themes around the father; my countertransference (impatience) to bring to supervision.",
                        });
                    }

                    (string code, string display, string narrative) = Conditions[i % Conditions.Length];
                    db.Diagnoses.Add(new Diagnosis { Id = Id(p, 30), PatientId = p.Id, Code = code, Display = display, Narrative = narrative });
                    if (p.InSudProgram)
                    {
                        db.Diagnoses.Add(new Diagnosis
                        {
                            Id = Id(p, 31),
                            PatientId = p.Id,
                            Code = "F11.20",
                            Display = "Opioid dependence, uncomplicated",
                            Narrative = "Enrolled in the practice's outpatient SUD program.",
                        });
                        db.SudProgramRecords.Add(new SudProgramRecord
                        {
                            Id = Id(p, 40),
                            PatientId = p.Id,
                            AuthorId = therapist.Id,
                            WrittenAt = Anchor.AddDays(-10 + i),
                            Summary = "SUD program: week 6 of intensive outpatient; urine screen negative; attends group twice weekly.",
                        });
                    }
                }

                await db.SaveChangesAsync(cancellationToken);
                return true;
            });
        }

        progress?.Invoke("psychiatrists write prescriptions");
        foreach (StaffMember psychiatrist in Staff.Where(s => s.Role == WellKnownRoles.Psychiatrist))
        {
            await AsAsync(contexts, psychiatrist.Id, async db =>
            {
                foreach (SeedPatient p in Patients.Where(p => p.PsychiatristId == psychiatrist.Id))
                {
                    int i = p.Number - 1;
                    (string drug, string dose) = p.InSudProgram ? Medications[3] : Medications[(i / 2) % Medications.Length];
                    db.Prescriptions.Add(new Prescription
                    {
                        Id = Id(p, 50),
                        PatientId = p.Id,
                        PrescriberId = psychiatrist.Id,
                        Drug = drug,
                        Dose = dose,
                        StartedOn = DateOnly.FromDateTime(Anchor.AddDays(-20 + i).UtcDateTime),
                    });
                }

                await db.SaveChangesAsync(cancellationToken);
                return true;
            });
        }

        progress?.Invoke("billing submits claims");
        await AsAsync(contexts, "u-bill-1", async db =>
        {
            foreach (SeedPatient p in Patients)
            {
                int i = p.Number - 1;
                db.Claims.Add(new Claim
                {
                    Id = Id(p, 60),
                    PatientId = p.Id,
                    Payer = i % 3 == 0 ? "Medicaid" : i % 3 == 1 ? "Blue Harbor Health" : "Acme Mutual",
                    ServiceDate = DateOnly.FromDateTime(Anchor.AddDays(-28 + i).UtcDateTime),
                    ProcedureCode = "90791",
                    AmountCents = 22_500,
                    Status = i % 4 == 0 ? "Submitted" : "Paid",
                });
                db.Claims.Add(new Claim
                {
                    Id = Id(p, 61),
                    PatientId = p.Id,
                    Payer = i % 3 == 0 ? "Medicaid" : i % 3 == 1 ? "Blue Harbor Health" : "Acme Mutual",
                    ServiceDate = DateOnly.FromDateTime(Anchor.AddDays(-21 + i).UtcDateTime),
                    ProcedureCode = "90834",
                    AmountCents = 15_000,
                    Status = "Submitted",
                });
            }

            await db.SaveChangesAsync(cancellationToken);
            return true;
        });

        progress?.Invoke("patients sign consents");
        foreach (SeedPatient p in Patients.Where(p => p.InSudProgram && p.Number > 1))
        {
            // Every SUD program patient but Ada consented to share program records with the county hospital for treatment.
            await consents.RecordAsync(
                new Consent("part2-" + p.Mrn, p.PatientId, ConsentKind.Part2, [CountyHospital], [PurposeOfUse.Treatment], [DataCategory.ProgressNote, DataCategory.Medication], Anchor.AddDays(-30)),
                "u-desk-1",
                cancellationToken);
        }

        foreach (SeedPatient p in Patients.Where(p => p.HasPsychotherapyNote && p.PsychiatristId is not null)
            .Skip(1).Take(2))
        {
            // A few patients authorized their psychiatrist to read the therapist's psychotherapy notes (45 CFR 164.508(a)(2)).
            await consents.RecordAsync(
                new Consent("psynotes-" + p.Mrn, p.PatientId, ConsentKind.PsychotherapyAuthorization, [Practice], [PurposeOfUse.Treatment], [DataCategory.PsychotherapyNote], Anchor.AddDays(-30), until: Anchor.AddYears(1)),
                "u-desk-1",
                cancellationToken);
        }

        return true;
    }

    private static Guid Id(SeedPatient patient, int record) =>
        Guid.Parse(string.Create(CultureInfo.InvariantCulture, $"5eed{record:D4}-0000-4000-8000-{patient.Number:D12}"));

    private async Task<bool> AsAsync(IDbContextFactory<ClinicDb> contexts, string userId, Func<ClinicDb, Task<bool>> work)
    {
        using IDisposable scope = AccessContext.Begin(ContextFor(userId));
        await using ClinicDb db = await contexts.CreateDbContextAsync();
        return await work(db);
    }
}
