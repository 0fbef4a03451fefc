using Hipaa;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam3;

// The shapes of an EHR model the third red team attacks the up-front decision of SQL-computed reads with: a patient with
// a guardian who is another patient (a self-referencing navigation) and an owned home address; appointments and progress
// notes kept in one table (TPH, the common way to store "chart entries"); diagnoses with a narrative that billing's field
// mask hides and an owned detail; notes of patients keyed by a free-text MRN. Nothing is encrypted.
[Phi("Demographics")]
public sealed class Resident
{
    [PatientId]
    public Guid Id { get; set; }

    public string Name { get; set; } = string.Empty;

    public Guid? GuardianId { get; set; }

    public Resident? Guardian { get; set; }

    public Residence? Home { get; set; }

    public List<Contact> Contacts { get; set; } = [];
}

/// <summary>An emergency contact of a resident: owned, in a table of its own (OwnsMany).</summary>
public sealed class Contact
{
    public Guid Id { get; set; }

    public string Phone { get; set; } = string.Empty;
}

/// <summary>An intake form whose SSN is kept in a second table (entity splitting).</summary>
[Phi("Demographics")]
public sealed class Intake
{
    [PatientId]
    public Guid Id { get; set; }

    public string Reason { get; set; } = string.Empty;

    public string Ssn { get; set; } = string.Empty;
}

/// <summary>A psychotherapy note: its author's, and anyone else's only under the patient's authorization.</summary>
[Phi("PsychotherapyNote")]
public sealed class ProcessNote
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid ResidentId { get; set; }

    [AuthorId]
    public string AuthorId { get; set; } = string.Empty;

    public string Text { get; set; } = string.Empty;
}

/// <summary>Not PHI: a ward's label.</summary>
public sealed class Ward
{
    public int Id { get; set; }

    public string Label { get; set; } = string.Empty;
}

public sealed class Residence
{
    public string Street { get; set; } = string.Empty;
}

/// <summary>A chart entry; not PHI itself: its kinds are (appointments and progress notes in one table).</summary>
public abstract class ChartEntry
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid ResidentId { get; set; }
}

[Phi("Appointment")]
public sealed class Booking : ChartEntry
{
    public string Room { get; set; } = string.Empty;
}

[Phi("ProgressNote")]
public sealed class SessionNote : ChartEntry
{
    public string Text { get; set; } = string.Empty;
}

[Phi("Diagnosis")]
public sealed class Finding
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid ResidentId { get; set; }

    public string Code { get; set; } = string.Empty;

    public string CodeSystem { get; set; } = string.Empty;

    public string Display { get; set; } = string.Empty;

    public string Narrative { get; set; } = string.Empty;

    public FindingDetail? Detail { get; set; }
}

public sealed class FindingDetail
{
    public string Comment { get; set; } = string.Empty;
}

/// <summary>A progress note of a patient keyed by a medical record number (free text).</summary>
[Phi("ProgressNote")]
public sealed class CaseNote
{
    public Guid Id { get; set; }

    [PatientId]
    public string Mrn { get; set; } = string.Empty;

    public string Text { get; set; } = string.Empty;
}

public sealed class WardDb(DbContextOptions<WardDb> options) : DbContext(options)
{
    public DbSet<Resident> Residents => Set<Resident>();

    public DbSet<ChartEntry> ChartEntries => Set<ChartEntry>();

    public DbSet<Booking> Bookings => Set<Booking>();

    public DbSet<SessionNote> SessionNotes => Set<SessionNote>();

    public DbSet<Finding> Findings => Set<Finding>();

    public DbSet<CaseNote> CaseNotes => Set<CaseNote>();

    public DbSet<Intake> Intakes => Set<Intake>();

    public DbSet<Ward> Wards => Set<Ward>();

    public DbSet<ProcessNote> ProcessNotes => Set<ProcessNote>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Resident>().OwnsOne(r => r.Home);
        modelBuilder.Entity<Resident>().HasOne(r => r.Guardian).WithMany().HasForeignKey(r => r.GuardianId);
        modelBuilder.Entity<ChartEntry>().ToTable("ChartEntries");
        modelBuilder.Entity<Finding>().OwnsOne(f => f.Detail);
        modelBuilder.Entity<Resident>().OwnsMany(r => r.Contacts, c =>
        {
            c.ToTable("ResidentContacts");
            c.HasKey(x => x.Id);
        });
        modelBuilder.Entity<Intake>().ToTable("Intakes").SplitToTable("IntakeSecrets", t => t.Property(i => i.Ssn));
        modelBuilder.Entity<Ward>().Property(w => w.Id).ValueGeneratedNever();
    }
}
