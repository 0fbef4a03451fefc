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
}
