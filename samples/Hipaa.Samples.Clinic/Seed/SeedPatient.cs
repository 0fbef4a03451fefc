namespace Hipaa.Samples.Clinic.Seed;

/// <summary>A patient of the seed, with the clinicians who treat them and what their chart holds.</summary>
/// <param name="Number">The patient's number in the seed (1-based), shown as the chart number.</param>
/// <param name="Id">The patient id.</param>
/// <param name="Name">The display name.</param>
/// <param name="Mrn">The medical record number.</param>
/// <param name="TherapistId">The treating therapist.</param>
/// <param name="PsychiatristId">The prescribing psychiatrist, if any.</param>
/// <param name="InSudProgram">Whether the patient is in the SUD program (42 CFR Part 2 records).</param>
/// <param name="HasPsychotherapyNote">Whether the therapist keeps a psychotherapy note.</param>
public sealed record SeedPatient(
    int Number,
    Guid Id,
    string Name,
    string Mrn,
    string TherapistId,
    string? PsychiatristId,
    bool InSudProgram,
    bool HasPsychotherapyNote)
{
    /// <summary>Gets the patient id as the policy and the audit trail spell it.</summary>
    public string PatientId => Id.ToString("D");
}
