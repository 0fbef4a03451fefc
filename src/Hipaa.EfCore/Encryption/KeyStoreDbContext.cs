using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Encryption;

/// <summary>The key table, <c>hipaa_keys</c>: wrapped keys only, never key material in plaintext.</summary>
/// <remarks>
/// A column added after the first release is added to an existing table on first use, with a default that gives
/// existing rows the meaning they had (see <see cref="EfDataKeyStore"/>).
/// </remarks>
internal sealed class KeyStoreDbContext(DbContextOptions<KeyStoreDbContext> options) : DbContext(options)
{
    public const string TableName = "hipaa_keys";

    /// <summary>Added after the first release: tables created earlier get it (<see cref="EfDataKeyStore"/>, on first use).</summary>
    public const string RevisionColumn = "revision";

    /// <summary>Added after the first release, like <see cref="RevisionColumn"/>.</summary>
    public const string AuthenticatorColumn = "authenticator";

    public DbSet<DataKeyRecord> Keys => Set<DataKeyRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var key = modelBuilder.Entity<DataKeyRecord>();
        key.ToTable(TableName);
        key.HasKey(k => k.Id);
        key.Property(k => k.Id).HasColumnName("id").ValueGeneratedNever();
        key.Property(k => k.Kind).HasColumnName("kind");
        key.Property(k => k.Scope).HasColumnName("scope").HasMaxLength(512).IsRequired();
        key.Property(k => k.Version).HasColumnName("version");
        key.Property(k => k.State).HasColumnName("state");
        key.Property(k => k.WrappedKey).HasColumnName("wrapped_key");
        key.Property(k => k.WrappedBy).HasColumnName("wrapped_by").HasMaxLength(512).IsRequired();
        key.Property(k => k.WrapAlgorithm).HasColumnName("wrap_algorithm").HasMaxLength(64).IsRequired();
        key.Property(k => k.CreatedAt).HasColumnName("created_at");
        key.Property(k => k.RetiredAt).HasColumnName("retired_at");
        key.Property(k => k.DestroyedAt).HasColumnName("destroyed_at");
        key.Property(k => k.InvocationsReserved).HasColumnName("invocations_reserved");
        key.Property(k => k.Revision).HasColumnName(RevisionColumn);
        key.Property(k => k.Authenticator).HasColumnName(AuthenticatorColumn);
        key.HasIndex(k => new { k.Kind, k.Scope, k.Version }).IsUnique().HasDatabaseName("ix_hipaa_keys_kind_scope_version");
    }
}
