using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Hipaa.EfCore.Policy;

/// <summary>
/// The consent tables: <c>hipaa_consents</c> (the current state of each consent) and <c>hipaa_consent_history</c> (every
/// recording and revocation, with the consent as it stood after it). Lists are stored as JSON arrays of strings, the same
/// on every provider.
/// </summary>
internal sealed class ConsentStoreDbContext(DbContextOptions<ConsentStoreDbContext> options) : DbContext(options)
{
    public const string ConsentsTable = "hipaa_consents";
    public const string HistoryTable = "hipaa_consent_history";

    private static readonly ValueConverter<string[], string> JsonArray = new(
        v => JsonSerializer.Serialize(v, (JsonSerializerOptions?)null),
        v => JsonSerializer.Deserialize<string[]>(v, (JsonSerializerOptions?)null) ?? Array.Empty<string>());

    private static readonly ValueComparer<string[]> ArrayComparer = new(
        (a, b) => a != null && b != null && a.SequenceEqual(b),
        v => v.Aggregate(0, (hash, item) => HashCode.Combine(hash, item.GetHashCode(StringComparison.Ordinal))),
        v => v.ToArray());

    public DbSet<ConsentRow> Consents => Set<ConsentRow>();

    public DbSet<ConsentHistoryRow> History => Set<ConsentHistoryRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        EntityTypeBuilder<ConsentRow> consent = modelBuilder.Entity<ConsentRow>();
        consent.ToTable(ConsentsTable);
        consent.HasKey(c => new { c.PatientId, c.ConsentId });
        consent.Property(c => c.PatientId).HasColumnName("patient_id").HasMaxLength(256);
        consent.Property(c => c.ConsentId).HasColumnName("consent_id").HasMaxLength(256);
        consent.Property(c => c.Kind).HasColumnName("kind");
        consent.Property(c => c.Recipients).HasColumnName("recipients").HasConversion(JsonArray, ArrayComparer).IsRequired();
        consent.Property(c => c.Purposes).HasColumnName("purposes").HasConversion(JsonArray, ArrayComparer).IsRequired();
        consent.Property(c => c.Categories).HasColumnName("categories").HasConversion(JsonArray, ArrayComparer).IsRequired();
        consent.Property(c => c.ValidFrom).HasColumnName("valid_from");
        consent.Property(c => c.ValidUntil).HasColumnName("valid_until");
        consent.Property(c => c.RevokedAt).HasColumnName("revoked_at");
        consent.Property(c => c.RecordedAt).HasColumnName("recorded_at");
        consent.Property(c => c.RecordedBy).HasColumnName("recorded_by").HasMaxLength(256);

        EntityTypeBuilder<ConsentHistoryRow> history = modelBuilder.Entity<ConsentHistoryRow>();
        history.ToTable(HistoryTable);
        history.HasKey(h => h.Id);
        history.Property(h => h.Id).HasColumnName("id").ValueGeneratedOnAdd();
        history.Property(h => h.PatientId).HasColumnName("patient_id").HasMaxLength(256);
        history.Property(h => h.ConsentId).HasColumnName("consent_id").HasMaxLength(256);
        history.Property(h => h.Change).HasColumnName("change");
        history.Property(h => h.ChangedAt).HasColumnName("changed_at");
        history.Property(h => h.ChangedBy).HasColumnName("changed_by").HasMaxLength(256);
        history.Property(h => h.Kind).HasColumnName("kind");
        history.Property(h => h.Recipients).HasColumnName("recipients").HasConversion(JsonArray, ArrayComparer).IsRequired();
        history.Property(h => h.Purposes).HasColumnName("purposes").HasConversion(JsonArray, ArrayComparer).IsRequired();
        history.Property(h => h.Categories).HasColumnName("categories").HasConversion(JsonArray, ArrayComparer).IsRequired();
        history.Property(h => h.ValidFrom).HasColumnName("valid_from");
        history.Property(h => h.ValidUntil).HasColumnName("valid_until");
        history.Property(h => h.RevokedAt).HasColumnName("revoked_at");
        history.HasIndex(h => new { h.PatientId, h.Id }).HasDatabaseName("ix_hipaa_consent_history_patient");
    }
}
