using Hipaa;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.LoadDriver;

/// <summary>A progress note: the one PHI entity the load driver writes and reads.</summary>
[Phi("ProgressNote")]
public sealed class LoadNote
{
    public Guid Id { get; set; }

    [PatientId]
    public string PatientId { get; set; } = string.Empty;

    public string Text { get; set; } = string.Empty;
}

/// <summary>The driver's context.</summary>
public sealed class LoadDb(DbContextOptions<LoadDb> options) : DbContext(options)
{
    public DbSet<LoadNote> Notes => Set<LoadNote>();
}
