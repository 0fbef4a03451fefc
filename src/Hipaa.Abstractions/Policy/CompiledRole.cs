using System.Collections.Frozen;

namespace Hipaa.Policy;

/// <summary>One role of a <see cref="CompiledCatalog"/>.</summary>
internal sealed class CompiledRole(
    int index,
    RoleTraits traits,
    FrozenDictionary<PurposeOfUse, int> purposes,
    FrozenDictionary<DataCategory, CompiledGrant> grants)
{
    public int Index { get; } = index;

    public RoleTraits Traits { get; } = traits;

    public bool RequiresCareTeam => (Traits & RoleTraits.RequiresCareTeam) != 0;

    public bool AllowsPurpose(PurposeOfUse purpose, PhiAction action) =>
        purposes.TryGetValue(purpose, out int bits) && (bits & ActionBits.Of(action)) != 0;

    public CompiledGrant? GrantOn(DataCategory category) => grants.GetValueOrDefault(category);
}
