namespace Hipaa.Cli.Breach;

/// <summary>What the compromise exposed of one patient.</summary>
/// <param name="PatientId">The patient id as the application records it.</param>
/// <param name="Categories">The data categories of the fields listed (of every access counted when none is listed), by name.</param>
/// <param name="Reads">Successful reads, disclosures and exports of the patient's records that the assessment counts.</param>
/// <param name="Writes">Successful writes of the patient's records that the assessment counts.</param>
/// <param name="DeniedAttempts">Attempts the policy denied (nothing disclosed; a sign of probing).</param>
/// <param name="FirstAccess">The earliest access counted, if any.</param>
/// <param name="LastAccess">The latest access counted, if any.</param>
/// <param name="Fields">Each field reached, once per entity and field, unsecured first.</param>
internal sealed record PatientExposure(
    string PatientId,
    IReadOnlyList<string> Categories,
    int Reads,
    int Writes,
    int DeniedAttempts,
    DateTimeOffset? FirstAccess,
    DateTimeOffset? LastAccess,
    IReadOnlyList<FieldExposure> Fields)
{
    /// <summary>Whether unsecured PHI of the patient was reached: notification is presumed required (164.402(2)) unless a risk assessment shows a low probability of compromise.</summary>
    public bool NotificationRequired => Fields.Any(f => f.Protection == FieldProtection.Unsecured);
}
