namespace Hipaa.EfCore.Policy;

/// <summary>
/// A row of <c>hipaa_consent_history</c>: one change to a consent, with the consent as it stood after it, encrypted under
/// the patient's data key. Rows are only ever inserted; the id orders them.
/// </summary>
internal sealed class ConsentHistoryRow
{
    public long Id { get; set; }

    /// <inheritdoc cref="ConsentRow.PatientKey"/>
    public required byte[] PatientKey { get; set; }

    /// <inheritdoc cref="ConsentRow.ConsentKey"/>
    public required byte[] ConsentKey { get; set; }

    /// <summary>The change, the consent after it, who made it and when (<see cref="ConsentPayload"/>), encrypted.</summary>
    public required byte[] Payload { get; set; }
}
