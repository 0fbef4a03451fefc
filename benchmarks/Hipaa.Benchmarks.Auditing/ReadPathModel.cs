using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.Benchmarks.Auditing;

/// <summary>
/// A patient's demographics (PHI, category Demographics), in plain columns: what plain EF Core reads (the baseline of every
/// <c>--read-path</c> case) and what a context with auditing alone reads. Ward 1 holds 100 patients, one row each.
/// </summary>
[Phi("Demographics")]
public sealed class ReadPatient
{
    [PatientId]
    public Guid Id { get; set; }

    public int Ward { get; set; }

    public string Clinic { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    public string Ssn { get; set; } = string.Empty;

    public DateOnly BirthDate { get; set; }

    public string Phone { get; set; } = string.Empty;
}

/// <summary>
/// The same patient with partial <c>[Encrypted]</c> properties (Name, Ssn, BirthDate; decrypted when first read): what the
/// full stack (field encryption + auditing + policy enforcement) reads. Clinic, Ward and Phone stay plain columns.
/// </summary>
[Phi("Demographics")]
public sealed partial class SecurePatient
{
    [PatientId]
    public Guid Id { get; set; }

    public int Ward { get; set; }

    public string Clinic { get; set; } = string.Empty;

    [Encrypted]
    public partial string Name { get; set; }

    [Encrypted]
    public partial string Ssn { get; set; }

    [Encrypted]
    public partial DateOnly BirthDate { get; set; }

    public string Phone { get; set; } = string.Empty;
}

/// <summary>What a screen listing patients projects: several PHI fields of each.</summary>
public sealed class PatientDto
{
    public Guid Id { get; set; }

    public string Name { get; set; } = string.Empty;

    public string Ssn { get; set; } = string.Empty;

    public DateOnly BirthDate { get; set; }

    public string Phone { get; set; } = string.Empty;
}

/// <summary>The context of <see cref="ReadPatient"/>: plain EF Core without <c>UseHipaa</c>, auditing alone with it.</summary>
public sealed class ReadPathDb(DbContextOptions<ReadPathDb> options) : DbContext(options)
{
    public DbSet<ReadPatient> Patients => Set<ReadPatient>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<ReadPatient>(patient =>
        {
            patient.ToTable("patients");
            patient.HasIndex(p => p.Ward);
        });
}

/// <summary>The context of <see cref="SecurePatient"/>, always with <c>UseHipaa</c> (the full stack).</summary>
public sealed class SecureReadPathDb(DbContextOptions<SecureReadPathDb> options) : DbContext(options)
{
    public DbSet<SecurePatient> Patients => Set<SecurePatient>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<SecurePatient>(patient =>
        {
            patient.ToTable("patients");
            patient.HasIndex(p => p.Ward);
        });
}
