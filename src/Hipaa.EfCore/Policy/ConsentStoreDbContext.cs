using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Hipaa.EfCore.Policy;

/// <summary>
/// The consent tables: <c>hipaa_consents</c> (the current state of each consent) and <c>hipaa_consent_history</c> (every
/// recording and revocation, with the consent as it stood after it). Every consent value is in the encrypted payload
/// (<see cref="ConsentCipher"/>); in the clear are only keyed hashes of the ids, the revision and the history's order.
/// </summary>
internal sealed class ConsentStoreDbContext(DbContextOptions<ConsentStoreDbContext> options) : DbContext(options)
{
    public const string ConsentsTable = "hipaa_consents";
    public const string HistoryTable = "hipaa_consent_history";

    /// <summary>A column of the tables written before consents were encrypted: its presence means they must be migrated.</summary>
    public const string LegacyColumn = "recipients";

    public DbSet<ConsentRow> Consents => Set<ConsentRow>();

    public DbSet<ConsentHistoryRow> History => Set<ConsentHistoryRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        EntityTypeBuilder<ConsentRow> consent = modelBuilder.Entity<ConsentRow>();
        consent.ToTable(ConsentsTable);
        consent.HasKey(c => new { c.PatientKey, c.ConsentKey });
        consent.Property(c => c.PatientKey).HasColumnName("patient_key");
        consent.Property(c => c.ConsentKey).HasColumnName("consent_key");
        consent.Property(c => c.Revision).HasColumnName("revision");
        consent.Property(c => c.Payload).HasColumnName("payload").IsRequired();

        EntityTypeBuilder<ConsentHistoryRow> history = modelBuilder.Entity<ConsentHistoryRow>();
        history.ToTable(HistoryTable);
        history.HasKey(h => h.Id);
        history.Property(h => h.Id).HasColumnName("id").ValueGeneratedOnAdd();
        history.Property(h => h.PatientKey).HasColumnName("patient_key");
        history.Property(h => h.ConsentKey).HasColumnName("consent_key");
        history.Property(h => h.Payload).HasColumnName("payload").IsRequired();
        history.HasIndex(h => new { h.PatientKey, h.Id }).HasDatabaseName("ix_hipaa_consent_history_patient_key");
    }
}
