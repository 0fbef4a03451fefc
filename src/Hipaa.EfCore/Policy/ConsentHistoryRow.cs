namespace Hipaa.EfCore.Policy;

/// <summary>
/// A row of <c>hipaa_consent_history</c>: one change to a consent, with the consent as it stood after it. Rows are only
/// ever inserted; the id orders them.
/// </summary>
internal sealed class ConsentHistoryRow
{
    public long Id { get; set; }

    public required string PatientId { get; set; }

    public required string ConsentId { get; set; }

    public int Change { get; set; }

    public DateTimeOffset ChangedAt { get; set; }

    public required string ChangedBy { get; set; }

    public int Kind { get; set; }

    public required string[] Recipients { get; set; }

    public required string[] Purposes { get; set; }

    public required string[] Categories { get; set; }

    public DateTimeOffset ValidFrom { get; set; }

    public DateTimeOffset? ValidUntil { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}
