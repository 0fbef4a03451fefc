using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Auditing;

/// <summary>The mapping of the audit tables, shared by the application's model and the SDK's own audit context.</summary>
internal static class AuditModel
{
    public const string AuditTable = "hipaa_audit";

    public const string CheckpointTable = "hipaa_audit_checkpoints";

    public const string PatientIndexTable = "hipaa_audit_patients";

    /// <summary>The length of the <c>patient_id</c> columns of <c>hipaa_audit</c> and <c>hipaa_audit_patients</c>.</summary>
    public const int PatientIdMaxLength = 128;

    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<AuditEntry>(entry =>
        {
            entry.ToTable(AuditTable);
            entry.HasKey(e => e.Id);
            entry.Property(e => e.Id).HasColumnName("id").ValueGeneratedOnAdd();
            entry.Property(e => e.RecordId).HasColumnName("record_id");
            entry.Property(e => e.OccurredAt).HasColumnName("occurred_at");
            entry.Property(e => e.ActorId).HasColumnName("actor_id").HasMaxLength(256).IsRequired();
            entry.Property(e => e.ActorRoles).HasColumnName("actor_roles").IsRequired();
            entry.Property(e => e.ClientApplication).HasColumnName("client_application").HasMaxLength(256);
            entry.Property(e => e.PatientId).HasColumnName("patient_id").HasMaxLength(PatientIdMaxLength);
            entry.Property(e => e.PatientIds).HasColumnName("patient_ids").IsRequired().HasDefaultValue(string.Empty);
            entry.Property(e => e.Action).HasColumnName("action").HasConversion<string>().HasMaxLength(16);
            entry.Property(e => e.Entity).HasColumnName("entity").HasMaxLength(256).IsRequired();
            entry.Property(e => e.Categories).HasColumnName("categories").IsRequired();
            entry.Property(e => e.Labels).HasColumnName("labels").IsRequired();
            entry.Property(e => e.Fields).HasColumnName("fields").IsRequired();
            entry.Property(e => e.RedactedFields).HasColumnName("redacted_fields").IsRequired();
            entry.Property(e => e.PurposeOfUse).HasColumnName("purpose_of_use").HasMaxLength(32).IsRequired();
            entry.Property(e => e.Outcome).HasColumnName("outcome").HasConversion<string>().HasMaxLength(16);
            entry.Property(e => e.ClientAddress).HasColumnName("client_address").HasMaxLength(64);
            entry.Property(e => e.RequestId).HasColumnName("request_id").HasMaxLength(128);
            entry.Property(e => e.BreakGlassReason).HasColumnName("break_glass_reason");
            entry.Property(e => e.Recipient).HasColumnName("recipient").HasMaxLength(256);
            entry.Property(e => e.Description).HasColumnName("description");
            entry.Property(e => e.RecordKeys).HasColumnName("record_keys").IsRequired();
            entry.Property(e => e.QueryFingerprint).HasColumnName("query_fingerprint").HasMaxLength(64);
            entry.Property(e => e.RowCount).HasColumnName("row_count");
            entry.Property(e => e.Decision).HasColumnName("decision");
            entry.Property(e => e.ChainPosition).HasColumnName("chain_position");
            entry.Property(e => e.PreviousHash).HasColumnName("previous_hash");
            entry.Property(e => e.Hash).HasColumnName("hash");
            entry.Property(e => e.SealedAt).HasColumnName("sealed_at");
            entry.HasIndex(e => e.RecordId).IsUnique().HasDatabaseName("ix_hipaa_audit_record_id");
            entry.HasIndex(e => new { e.PatientId, e.OccurredAt }).HasDatabaseName("ix_hipaa_audit_patient_time");
            entry.HasIndex(e => e.ChainPosition).IsUnique().HasDatabaseName("ix_hipaa_audit_chain_position");
            entry.HasIndex(e => e.SealedAt).HasDatabaseName("ix_hipaa_audit_sealed_at");
        });

        modelBuilder.Entity<AuditPatientEntry>(index =>
        {
            index.ToTable(PatientIndexTable);
            index.HasKey(i => new { i.PatientId, i.OccurredAt, i.AuditId });
            index.Property(i => i.PatientId).HasColumnName("patient_id").HasMaxLength(PatientIdMaxLength);
            index.Property(i => i.OccurredAt).HasColumnName("occurred_at");
            index.Property(i => i.AuditId).HasColumnName("audit_id").ValueGeneratedNever();
            index.HasIndex(i => i.AuditId).HasDatabaseName("ix_hipaa_audit_patients_audit_id");
        });

        modelBuilder.Entity<AuditCheckpointEntry>(checkpoint =>
        {
            checkpoint.ToTable(CheckpointTable);
            checkpoint.HasKey(c => c.Position);
            checkpoint.Property(c => c.Position).HasColumnName("position").ValueGeneratedNever();
            checkpoint.Property(c => c.HeadHash).HasColumnName("head_hash").IsRequired();
            checkpoint.Property(c => c.CreatedAt).HasColumnName("created_at");
            checkpoint.Property(c => c.SignerKeyId).HasColumnName("signer_key_id").HasMaxLength(256).IsRequired();
            checkpoint.Property(c => c.Signature).HasColumnName("signature").IsRequired();
        });
    }
}
