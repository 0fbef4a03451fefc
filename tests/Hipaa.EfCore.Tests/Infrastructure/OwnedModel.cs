using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Infrastructure;

/// <summary>An owned value of a PHI entity: stored in the owner's table (table splitting) or in a table of its own.</summary>
public sealed class Address
{
    public string Street { get; set; } = string.Empty;

    public string City { get; set; } = string.Empty;
}

/// <summary>An owned collection item of a PHI entity (OwnsMany, a table of its own).</summary>
public sealed class EmergencyContact
{
    public string Name { get; set; } = string.Empty;

    public string Phone { get; set; } = string.Empty;
}

/// <summary>A patient whose address and contacts are owned types: a change to them is a change to the resident.</summary>
[Phi("Demographics")]
public sealed class Resident
{
    [PatientId]
    public Guid Id { get; set; }

    public string DisplayName { get; set; } = string.Empty;

    /// <summary>OwnsOne, same table (table splitting).</summary>
    public Address Home { get; set; } = new();

    /// <summary>OwnsOne mapped to its own table.</summary>
    public Address? Mailing { get; set; }

    /// <summary>OwnsMany.</summary>
    public List<EmergencyContact> Contacts { get; set; } = [];
}

/// <summary>A PHI entity whose patient id is not its key, owning a value.</summary>
[Phi("Encounter")]
public sealed class Visit
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid ResidentId { get; set; }

    public Address Location { get; set; } = new();
}

public sealed class ResidentDb(DbContextOptions<ResidentDb> options) : DbContext(options)
{
    public DbSet<Resident> Residents => Set<Resident>();

    public DbSet<Visit> Visits => Set<Visit>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Resident>(resident =>
        {
            resident.OwnsOne(r => r.Home);
            resident.Navigation(r => r.Home).IsRequired();
            resident.OwnsOne(r => r.Mailing, mailing => mailing.ToTable("ResidentMailing"));
            resident.OwnsMany(r => r.Contacts, contact =>
            {
                contact.ToTable("ResidentContacts");
                contact.Property<int>("Id"); // a key of its own: SQLite generates no value for (ResidentId, Id)
                contact.HasKey("Id");
            });
        });
        modelBuilder.Entity<Visit>(visit =>
        {
            visit.OwnsOne(v => v.Location);
            visit.Navigation(v => v.Location).IsRequired();
        });
    }
}
