namespace Hipaa.EfCore.Policy;

/// <summary>A row of <c>hipaa_consents</c>: the current state of one consent of one patient.</summary>
internal sealed class ConsentRow
{
    public required string PatientId { get; set; }

    public required string ConsentId { get; set; }

    public int Kind { get; set; }

    public required string[] Recipients { get; set; }

    public required string[] Purposes { get; set; }

    public required string[] Categories { get; set; }

    public DateTimeOffset ValidFrom { get; set; }

    public DateTimeOffset? ValidUntil { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public DateTimeOffset RecordedAt { get; set; }

    public required string RecordedBy { get; set; }
}
