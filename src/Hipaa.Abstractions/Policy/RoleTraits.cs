namespace Hipaa.Policy;

/// <summary>What kind of role a catalog role is, beyond its purposes and grants.</summary>
[Flags]
public enum RoleTraits
{
    /// <summary>An ordinary staff role: its grants apply to every patient.</summary>
    None = 0,

    /// <summary>
    /// A clinical role: it may use break-the-glass (<c>ETREAT</c>), and its grants on psychotherapy and SUD counseling
    /// notes let an author use their own notes.
    /// </summary>
    Clinical = 1,

    /// <summary>The role's grants apply only to patients on the actor's care team, unless break-the-glass applies.</summary>
    RequiresCareTeam = 2,

    /// <summary>The role is the patient: only their own records, only reading, never the separately kept notes.</summary>
    Patient = 4,

    /// <summary>The role never receives psychotherapy or SUD counseling notes, not even under an authorization (billing).</summary>
    ExcludedFromNotes = 8,

    /// <summary>
    /// The role supervises the practice's mental-health training program: it may read psychotherapy and SUD counseling
    /// notes with purpose <c>HTRAIN</c> (45 CFR 164.508(a)(2)(i)(B)). Needs <see cref="Clinical"/>. The default catalog gives
    /// it to ClinicalSupervisor only; allowing another role <c>HTRAIN</c> does not open the notes to it.
    /// </summary>
    TrainingSupervisor = 16,

    /// <summary>
    /// The role answers HHS: it may disclose or export psychotherapy and SUD counseling notes to the oversight recipient with
    /// purpose <c>HOVERSIGHT</c> (45 CFR 164.502(a)(2)(ii)). The default catalog gives it to ComplianceOfficer only; allowing
    /// another role <c>HOVERSIGHT</c> does not open the notes to it.
    /// </summary>
    ComplianceOfficer = 32,
}
