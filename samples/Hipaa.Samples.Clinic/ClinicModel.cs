using Hipaa;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.Samples.Clinic;

/// <summary>A patient: name in the clear for the schedule, identifiers encrypted.</summary>
[Phi("Demographics")]
public sealed class Patient
{
    [PatientId]
    public Guid Id { get; set; } = Guid.NewGuid();

    public string DisplayName { get; set; } = string.Empty;

    [Encrypted(Searchable = true)]
    public string Mrn { get; set; } = string.Empty;

    [Encrypted]
    public string? Ssn { get; set; }

    [Encrypted]
    public DateOnly BirthDate { get; set; }
}

/// <summary>
/// A progress note: the text is encrypted under the patient's own data key. It is a partial property, so a query leaves
/// it encrypted and it is decrypted when first read (a list of notes that shows only dates decrypts nothing).
/// </summary>
[Phi("ProgressNote")]
public sealed partial class ProgressNote
{
    public Guid Id { get; set; } = Guid.NewGuid();

    [PatientId]
    public Guid PatientId { get; set; }

    public DateTimeOffset WrittenAt { get; set; }

    [Encrypted]
    public partial string Text { get; set; }
}

/// <summary>A prescription: the psychiatrist's; a therapist may not see it.</summary>
[Phi("Medication")]
public sealed class Prescription
{
    public Guid Id { get; set; } = Guid.NewGuid();

    [PatientId]
    public Guid PatientId { get; set; }

    public string Drug { get; set; } = string.Empty;

    [Encrypted]
    public string Dose { get; set; } = string.Empty;
}

/// <summary>The clinic's EF Core context: nothing here knows about encryption but the attributes.</summary>
public sealed class ClinicDb(DbContextOptions<ClinicDb> options) : DbContext(options)
{
    public DbSet<Patient> Patients => Set<Patient>();

    public DbSet<ProgressNote> Notes => Set<ProgressNote>();

    public DbSet<Prescription> Prescriptions => Set<Prescription>();
}
