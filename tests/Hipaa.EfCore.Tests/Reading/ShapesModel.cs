using Hipaa;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading;

// A model of the shapes a new user brings: plain (not encrypted) PHI columns, an owned address split into the patient's
// table, a navigation from note to patient, a second PHI table. Nothing here is encrypted: attribution must not depend on it.
[Phi("Demographics")]
public sealed class Member
{
    [PatientId]
    public Guid Id { get; set; }

    public string Name { get; set; } = string.Empty;

    public int BirthYear { get; set; }

    public Address? Home { get; set; }

    public List<Visit> Visits { get; set; } = [];
}

public sealed class Address
{
    public string Street { get; set; } = string.Empty;

    public string City { get; set; } = string.Empty;
}

[Phi("ProgressNote", Labels = ["PSY"])]
public sealed class Visit
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid MemberId { get; set; }

    public Member? Member { get; set; }

    public string Text { get; set; } = string.Empty;

    public int Minutes { get; set; }
}

/// <summary>Not PHI: reference data that queries join to.</summary>
public sealed class Clinic
{
    public int Id { get; set; }

    public string Name { get; set; } = string.Empty;
}

public sealed class ShapesDb(DbContextOptions<ShapesDb> options) : DbContext(options)
{
    public DbSet<Member> Members => Set<Member>();

    public DbSet<Visit> Visits => Set<Visit>();

    public DbSet<Clinic> Clinics => Set<Clinic>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Member>().OwnsOne(m => m.Home);
        modelBuilder.Entity<Clinic>().Property(c => c.Id).ValueGeneratedNever();
    }
}
