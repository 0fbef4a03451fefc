namespace Hipaa.Samples.Clinic.Model;

/// <summary>
/// The compliance officer's review of one break-the-glass access (an audit record with a break-the-glass reason). Not PHI:
/// it names the audit record, the reviewer and the outcome. The SDK flags such accesses; keeping the review is the
/// practice's, so the sample keeps it here.
/// </summary>
public sealed class BreakGlassReview
{
    /// <summary>Gets or sets what is reviewed: the request id of the access (or the audit record id when it has none).</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>Gets or sets the reviewer's user id.</summary>
    public string ReviewedBy { get; set; } = string.Empty;

    /// <summary>Gets or sets when it was reviewed.</summary>
    public DateTimeOffset ReviewedAt { get; set; }

    /// <summary>Gets or sets the reviewer's finding.</summary>
    public string Finding { get; set; } = string.Empty;
}
