using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Infrastructure;

/// <summary>
/// The clinic's notes mapped to a table of the same name in schema <c>archive</c> — what an archive job or a second
/// application over the same database would map. On PostgreSQL that is <c>archive."Notes"</c>; SQLite ignores schemas in
/// SQL, so there the archive is another database file (which a connection may attach as schema <c>archive</c>) and the
/// schema is what the model says.
/// </summary>
public sealed class ArchiveDb(DbContextOptions<ArchiveDb> options) : DbContext(options)
{
    public const string Schema = "archive";

    public DbSet<Note> Notes => Set<Note>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<Note>(note =>
        {
            note.ToTable("Notes", Schema);
            note.Ignore(n => n.Patient);
        });
}
