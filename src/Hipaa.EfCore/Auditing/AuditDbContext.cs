using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// The SDK's own view of the audit tables, in the database <c>UseAuditStore</c> names (the application's database):
/// used to append read records (group commit), to seal the chain, to verify it and to answer reports.
/// </summary>
internal sealed class AuditDbContext(DbContextOptions<AuditDbContext> options) : DbContext(options)
{
    public DbSet<AuditEntry> Entries => Set<AuditEntry>();

    public DbSet<AuditCheckpointEntry> Checkpoints => Set<AuditCheckpointEntry>();

    public DbSet<AuditPatientEntry> PatientIndex => Set<AuditPatientEntry>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) => AuditModel.Configure(modelBuilder);
}
