using System.Collections.Frozen;

namespace Hipaa.Policy;

/// <summary>One cell of a compiled role matrix.</summary>
internal sealed class CompiledGrant(int always, FrozenDictionary<PurposeOfUse, int> byPurpose, FieldMask? mask)
{
    public FieldMask? Mask { get; } = mask;

    public bool Allows(PhiAction action, PurposeOfUse purpose)
    {
        int bit = ActionBits.Of(action);
        return (always & bit) != 0 || (byPurpose.Count > 0 && byPurpose.TryGetValue(purpose, out int bits) && (bits & bit) != 0);
    }
}
