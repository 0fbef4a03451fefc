using Microsoft.EntityFrameworkCore;

namespace Hipaa.Benchmarks.Auditing;

/// <summary>A progress note: PHI (category ProgressNote) tied to a patient, the entity every audited read records.</summary>
[Phi("ProgressNote")]
public sealed class BenchNote
{
    public Guid Id { get; set; }

    [PatientId]
    public string PatientId { get; set; } = string.Empty;

    /// <summary>Groups rows for the 100-patient query (ward 1 holds one note of each of 100 patients).</summary>
    public int Ward { get; set; }

    public DateTimeOffset WrittenAt { get; set; }

    public string Text { get; set; } = string.Empty;
}

/// <summary>A code table with no PHI: reading it through an audited context runs every interceptor but records nothing.</summary>
public sealed class BenchWard
{
    public int Id { get; set; }

    public string Name { get; set; } = string.Empty;
}

/// <summary>
/// The one context type of every benchmark: the baseline builds it without <c>UseHipaa</c> (plain EF Core), the audited
/// case with <c>UseHipaa(sp)</c> (which also adds the audit tables to its model).
/// </summary>
public sealed class NotesDb(DbContextOptions<NotesDb> options) : DbContext(options)
{
    public DbSet<BenchNote> Notes => Set<BenchNote>();

    public DbSet<BenchWard> Wards => Set<BenchWard>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<BenchNote>(note =>
        {
            note.HasIndex(n => n.PatientId);
            note.HasIndex(n => n.Ward);
        });
    }
}
