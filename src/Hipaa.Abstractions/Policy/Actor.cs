namespace Hipaa.Policy;

/// <summary>
/// The person (or system) asking for access: a unique user id, the roles of the role catalog they hold, their
/// organization, the patients they have a treatment relationship with and the patients they are the personal
/// representative of.
/// </summary>
/// <remarks>Immutable and safe to share between threads.</remarks>
public sealed class Actor
{
    private readonly HashSet<string> _careTeamOf;
    private readonly HashSet<string> _representativeOf;

    /// <summary>Creates an actor.</summary>
    /// <param name="id">
    /// The unique user id; <see langword="null"/> or white space for an unidentified principal, who is denied everything.
    /// </param>
    /// <param name="roles">The roles the actor holds, by name (see <see cref="WellKnownRoles"/>); may be empty.</param>
    /// <param name="organization">The actor's organization; the practice itself is <see cref="RoleCatalog.PracticeOrganization"/>.</param>
    /// <param name="careTeamOf">Ids of the patients the actor has a treatment relationship with.</param>
    /// <param name="isShared">Whether the credential is a known shared or generic account, which is denied everything.</param>
    /// <param name="representativeOf">
    /// Ids of the patients whose personal representative the actor is (45 CFR 164.502(g): a parent of a minor, a guardian,
    /// a health care agent), whom the practice treats as the individual for the right of access. Only a role with the
    /// <see cref="RoleTraits.Patient"/> trait uses it (rule 3); the practice, not the SDK, decides who represents whom.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="roles"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A role or a patient id is <see langword="null"/> or white space.</exception>
    public Actor(
        string? id,
        IEnumerable<string> roles,
        string? organization = null,
        IEnumerable<string>? careTeamOf = null,
        bool isShared = false,
        IEnumerable<string>? representativeOf = null)
    {
        ArgumentNullException.ThrowIfNull(roles);
        string[] roleArray = [.. roles];
        foreach (string role in roleArray)
        {
            if (string.IsNullOrWhiteSpace(role))
            {
                throw new ArgumentException("A role name must not be null, empty or white space.", nameof(roles));
            }
        }

        _careTeamOf = PatientIds(careTeamOf, "A care-team patient id must not be null, empty or white space.", nameof(careTeamOf));
        _representativeOf = PatientIds(
            representativeOf, "The id of a patient the actor represents must not be null, empty or white space.", nameof(representativeOf));

        Id = id;
        Roles = roleArray;
        Organization = organization;
        IsShared = isShared;
    }

    /// <summary>The unique user id, or <see langword="null"/>/white space for an unidentified principal.</summary>
    public string? Id { get; }

    /// <summary>Whether the actor has a unique user id (not null, empty or white space).</summary>
    public bool IsIdentified => !string.IsNullOrWhiteSpace(Id);

    /// <summary>The roles the actor holds.</summary>
    public IReadOnlyList<string> Roles { get; }

    /// <summary>The actor's organization, or <see langword="null"/> when unknown.</summary>
    public string? Organization { get; }

    /// <summary>Ids of the patients the actor has a treatment relationship with.</summary>
    public IReadOnlyCollection<string> CareTeamOf => _careTeamOf;

    /// <summary>Ids of the patients whose personal representative the actor is (45 CFR 164.502(g)).</summary>
    public IReadOnlyCollection<string> RepresentativeOf => _representativeOf;

    /// <summary>Whether the credential is a known shared or generic account.</summary>
    public bool IsShared { get; }

    /// <summary>Whether the actor has a treatment relationship with the patient.</summary>
    /// <param name="patientId">The patient's id.</param>
    /// <returns><see langword="true"/> when <paramref name="patientId"/> is in <see cref="CareTeamOf"/>.</returns>
    public bool IsOnCareTeamOf(string patientId)
    {
        ArgumentNullException.ThrowIfNull(patientId);
        return _careTeamOf.Contains(patientId);
    }

    /// <summary>Whether the actor is the personal representative of the patient (45 CFR 164.502(g)).</summary>
    /// <param name="patientId">The patient's id.</param>
    /// <returns><see langword="true"/> when <paramref name="patientId"/> is in <see cref="RepresentativeOf"/> (compared ordinally).</returns>
    public bool IsRepresentativeOf(string patientId)
    {
        ArgumentNullException.ThrowIfNull(patientId);
        return _representativeOf.Contains(patientId);
    }

    private static HashSet<string> PatientIds(IEnumerable<string>? patientIds, string problem, string parameter)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (patientIds is not null)
        {
            foreach (string patientId in patientIds)
            {
                if (string.IsNullOrWhiteSpace(patientId))
                {
                    throw new ArgumentException(problem, parameter);
                }

                set.Add(patientId);
            }
        }

        return set;
    }
}
