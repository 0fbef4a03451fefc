using Hipaa;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Infrastructure;

public enum NoteKind
{
    Intake = 1,
    Progress = 2,
    Discharge = 3,
}

[Phi("Demographics")]
public sealed class Patient
{
    [PatientId]
    public Guid Id { get; set; }

    public string DisplayName { get; set; } = string.Empty;

    [Encrypted(Searchable = true)]
    public string? Mrn { get; set; }

    [Encrypted]
    public string? Ssn { get; set; }

    [Encrypted]
    public DateOnly? BirthDate { get; set; }

    [Encrypted(Searchable = true)]
    public int? ExternalNumber { get; set; }

    public List<Note> Notes { get; set; } = [];
}

[Phi("ProgressNote", Labels = ["PSY"])]
public sealed class Note
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid PatientId { get; set; }

    public Patient? Patient { get; set; }

    public string Title { get; set; } = string.Empty;

    [Encrypted]
    public string Text { get; set; } = string.Empty;

    [Encrypted]
    public byte[]? Attachment { get; set; }

    [Encrypted]
    public int Severity { get; set; }

    [Encrypted]
    public long Counter { get; set; }

    [Encrypted]
    public decimal Amount { get; set; }

    [Encrypted]
    public double Score { get; set; }

    [Encrypted]
    public bool Flagged { get; set; }

    [Encrypted]
    public Guid Reference { get; set; }

    [Encrypted]
    public NoteKind Kind { get; set; }

    [Encrypted]
    public DateTime WrittenAt { get; set; }

    [Encrypted]
    public DateTimeOffset SignedAt { get; set; }
}

[Phi("Medication")]
public sealed class Prescription
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid PatientId { get; set; }

    public string Drug { get; set; } = string.Empty;

    [Encrypted]
    public string? Dose { get; set; }
}

/// <summary>Its narrative is a partial [Encrypted] property: decrypted on first read (and never, when policy withholds it).</summary>
[Phi("Diagnosis")]
public sealed partial class Diagnosis
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid PatientId { get; set; }

    public string Code { get; set; } = string.Empty;

    public string Display { get; set; } = string.Empty;

    [Encrypted]
    public partial string? Narrative { get; set; }
}

[Phi("PsychotherapyNote", Labels = ["PSYTHPN"])]
public sealed class PsychotherapyNote
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid PatientId { get; set; }

    [AuthorId]
    public string AuthorId { get; set; } = string.Empty;

    [Encrypted]
    public string Text { get; set; } = string.Empty;
}

/// <summary>
/// A PHI table with lower-case (snake_case) names, as EF's naming conventions give on PostgreSQL: raw SQL can name it
/// without quotes there (an unquoted <c>Notes</c> folds to <c>notes</c>, which PostgreSQL does not find).
/// </summary>
[Phi("LabResult")]
[System.ComponentModel.DataAnnotations.Schema.Table("lab_results")]
public sealed class LabResult
{
    [System.ComponentModel.DataAnnotations.Schema.Column("id")]
    public Guid Id { get; set; }

    [PatientId]
    [System.ComponentModel.DataAnnotations.Schema.Column("patient_id")]
    public Guid PatientId { get; set; }

    [System.ComponentModel.DataAnnotations.Schema.Column("analyte")]
    public string Analyte { get; set; } = string.Empty;

    [System.ComponentModel.DataAnnotations.Schema.Column("value")]
    public string Value { get; set; } = string.Empty;
}

/// <summary>An entity the application cannot annotate: encrypted through the fluent API.</summary>
public sealed class Insurance
{
    public Guid Id { get; set; }

    public Guid PatientId { get; set; }

    public string PolicyNumber { get; set; } = string.Empty;

    public string Carrier { get; set; } = string.Empty;
}

/// <summary>Store-generated integer keys cannot carry row-bound ciphertext before insert.</summary>
public sealed class Legacy
{
    public int Id { get; set; }

    [Encrypted]
    public string? Secret { get; set; }
}

public sealed class ClinicDb(DbContextOptions<ClinicDb> options) : DbContext(options)
{
    public DbSet<Patient> Patients => Set<Patient>();

    public DbSet<Note> Notes => Set<Note>();

    public DbSet<Insurance> Insurances => Set<Insurance>();

    public DbSet<Legacy> Legacies => Set<Legacy>();

    public DbSet<Prescription> Prescriptions => Set<Prescription>();

    public DbSet<Diagnosis> Diagnoses => Set<Diagnosis>();

    public DbSet<PsychotherapyNote> PsychotherapyNotes => Set<PsychotherapyNote>();

    public DbSet<LabResult> LabResults => Set<LabResult>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Insurance>(insurance =>
        {
            insurance.Property(i => i.PolicyNumber).IsEncrypted(searchable: true);
            insurance.Property(i => i.PatientId).IsPatientId();
        });
    }
}
