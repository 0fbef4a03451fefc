using Microsoft.EntityFrameworkCore;

namespace Hipaa.Cli.ClinicDriver;

/// <summary>The clinic's data layer: demographics, progress notes, psychotherapy notes, claims, and a non-PHI settings table.</summary>
public sealed class ClinicDb(DbContextOptions<ClinicDb> options) : DbContext(options)
{
    public DbSet<ClinicPatient> Patients => Set<ClinicPatient>();

    public DbSet<ProgressNote> ProgressNotes => Set<ProgressNote>();

    public DbSet<PsychotherapyNote> PsychotherapyNotes => Set<PsychotherapyNote>();

    public DbSet<Claim> Claims => Set<Claim>();

    public DbSet<ClinicSetting> Settings => Set<ClinicSetting>();
}
