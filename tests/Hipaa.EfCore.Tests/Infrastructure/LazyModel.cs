using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Infrastructure;

/// <summary>A PHI entity for a context with lazy-loading proxies: not sealed, virtual navigations.</summary>
[Phi("Demographics")]
public class Chart
{
    [PatientId]
    public Guid Id { get; set; }

    public string DisplayName { get; set; } = string.Empty;

    [Encrypted]
    public string? Ssn { get; set; }

    public virtual ICollection<ChartNote> Notes { get; set; } = [];
}

/// <summary>A PHI entity reached lazily from <see cref="Chart"/>, and back.</summary>
[Phi("ProgressNote", Labels = ["PSY"])]
public class ChartNote
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid ChartId { get; set; }

    public virtual Chart? Chart { get; set; }

    [Encrypted]
    public string Text { get; set; } = string.Empty;
}

public sealed class LazyClinicDb(DbContextOptions<LazyClinicDb> options) : DbContext(options)
{
    public DbSet<Chart> Charts => Set<Chart>();

    public DbSet<ChartNote> ChartNotes => Set<ChartNote>();
}
