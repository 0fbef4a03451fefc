using Hipaa.Samples.Clinic.Model;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.Samples.Clinic;

/// <summary>The clinic's EF Core context: nothing here knows about encryption, auditing or policy but the attributes.</summary>
/// <param name="options">The options, with <c>UseHipaa(sp)</c>.</param>
public sealed class ClinicDb(DbContextOptions<ClinicDb> options) : DbContext(options)
{
    /// <summary>Gets the patients.</summary>
    public DbSet<Patient> Patients => Set<Patient>();

    /// <summary>Gets the appointments.</summary>
    public DbSet<Appointment> Appointments => Set<Appointment>();

    /// <summary>Gets the progress notes.</summary>
    public DbSet<ProgressNote> ProgressNotes => Set<ProgressNote>();

    /// <summary>Gets the psychotherapy notes.</summary>
    public DbSet<PsychotherapyNote> PsychotherapyNotes => Set<PsychotherapyNote>();

    /// <summary>Gets the prescriptions.</summary>
    public DbSet<Prescription> Prescriptions => Set<Prescription>();

    /// <summary>Gets the diagnoses.</summary>
    public DbSet<Diagnosis> Diagnoses => Set<Diagnosis>();

    /// <summary>Gets the claims.</summary>
    public DbSet<Claim> Claims => Set<Claim>();

    /// <summary>Gets the records of the SUD program (42 CFR Part 2).</summary>
    public DbSet<SudProgramRecord> SudProgramRecords => Set<SudProgramRecord>();

    /// <summary>Gets the compliance officer's break-the-glass reviews (not PHI).</summary>
    public DbSet<BreakGlassReview> BreakGlassReviews => Set<BreakGlassReview>();
}
