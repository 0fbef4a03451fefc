namespace Hipaa.EfCore.Auditing;

/// <summary>
/// A signed checkpoint of the audit chain (<c>hipaa_audit_checkpoints</c>): the head of the chain at a position. Exported
/// checkpoints kept outside the database let verification detect truncation and wholesale rewriting (docs/audit.md).
/// </summary>
/// <remarks>Not sealed on purpose, like <see cref="AuditEntry"/>: mapped into the application's model, which may use EF Core's proxies.</remarks>
internal class AuditCheckpointEntry
{
    public long Position { get; set; }

    public byte[] HeadHash { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }

    public string SignerKeyId { get; set; } = string.Empty;

    public byte[] Signature { get; set; } = [];
}
