using System.Collections.Frozen;

namespace Hipaa.Policy;

/// <summary>An immutable, lookup-optimised snapshot of a valid <see cref="RoleCatalog"/>; safe to share between threads.</summary>
internal sealed class CompiledCatalog
{
    private readonly FrozenDictionary<string, CompiledRole> _roles;

    public CompiledCatalog(
        string practiceOrganization,
        string oversightRecipient,
        IReadOnlyDictionary<string, RoleTraits> roles,
        IEnumerable<DataCategory> categories,
        IReadOnlyDictionary<string, Dictionary<PurposeOfUse, int>> purposes,
        IReadOnlyDictionary<(string Role, DataCategory Category), (int Always, IReadOnlyDictionary<PurposeOfUse, int> ByPurpose)> grants,
        IReadOnlyDictionary<(string Role, DataCategory Category), FieldMask> masks)
    {
        PracticeOrganization = practiceOrganization;
        OversightRecipient = oversightRecipient;
        Categories = categories.ToFrozenSet();

        string[] names = [.. roles.Keys.Order(StringComparer.Ordinal)];
        ByIndex = new CompiledRole[names.Length];
        var clinicallyReadable = new HashSet<DataCategory>();
        for (int index = 0; index < names.Length; index++)
        {
            string name = names[index];
            RoleTraits traits = roles[name];
            FrozenDictionary<PurposeOfUse, int> rolePurposes = purposes.TryGetValue(name, out Dictionary<PurposeOfUse, int>? p)
                ? p.ToFrozenDictionary()
                : FrozenDictionary<PurposeOfUse, int>.Empty;
            var roleGrants = new Dictionary<DataCategory, CompiledGrant>();
            foreach (((string role, DataCategory category), (int always, IReadOnlyDictionary<PurposeOfUse, int> byPurpose)) in grants)
            {
                if (role != name)
                {
                    continue;
                }

                roleGrants[category] = new CompiledGrant(always, byPurpose.ToFrozenDictionary(), masks.GetValueOrDefault((role, category)));
                if ((traits & RoleTraits.Clinical) != 0 && (always & ActionBits.Of(PhiAction.Read)) != 0 && !category.IsSeparatelyKeptNote)
                {
                    clinicallyReadable.Add(category);
                }
            }

            var compiled = new CompiledRole(index, traits, rolePurposes, roleGrants.ToFrozenDictionary());
            ByIndex[index] = compiled;
            ulong bit = 1UL << index;
            if ((traits & RoleTraits.Clinical) != 0)
            {
                ClinicalRoles |= bit;
            }

            if ((traits & RoleTraits.Patient) != 0)
            {
                PatientRoles |= bit;
            }

            if ((traits & RoleTraits.ExcludedFromNotes) != 0)
            {
                ExcludedFromNotesRoles |= bit;
            }

            if ((traits & RoleTraits.TrainingSupervisor) != 0)
            {
                TrainingSupervisorRoles |= bit;
            }

            if ((traits & RoleTraits.ComplianceOfficer) != 0)
            {
                ComplianceOfficerRoles |= bit;
            }
        }

        _roles = names.Select((name, index) => (name, index)).ToFrozenDictionary(x => x.name, x => ByIndex[x.index], StringComparer.Ordinal);
        ClinicallyReadable = clinicallyReadable.ToFrozenSet();
    }

    public string PracticeOrganization { get; }

    public string OversightRecipient { get; }

    public FrozenSet<DataCategory> Categories { get; }

    /// <summary>Categories some clinical role may read for any purpose: what break-the-glass opens (the notes excepted).</summary>
    public FrozenSet<DataCategory> ClinicallyReadable { get; }

    /// <summary>Roles by their bit index.</summary>
    public CompiledRole[] ByIndex { get; }

    public ulong ClinicalRoles { get; }

    public ulong PatientRoles { get; }

    public ulong ExcludedFromNotesRoles { get; }

    /// <summary>Roles that may read the separately kept notes for supervised training (<see cref="RoleTraits.TrainingSupervisor"/>).</summary>
    public ulong TrainingSupervisorRoles { get; }

    /// <summary>Roles that may disclose the separately kept notes to HHS (<see cref="RoleTraits.ComplianceOfficer"/>).</summary>
    public ulong ComplianceOfficerRoles { get; }

    public CompiledRole? Find(string role) => _roles.GetValueOrDefault(role);
}
