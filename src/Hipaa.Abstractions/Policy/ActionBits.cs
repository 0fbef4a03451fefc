namespace Hipaa.Policy;

/// <summary>Sets of <see cref="PhiAction"/> as bits (bit <c>n</c> is the action with value <c>n</c>).</summary>
internal static class ActionBits
{
    public const int All = (1 << (int)PhiAction.Read) | (1 << (int)PhiAction.Create) | (1 << (int)PhiAction.Update)
        | (1 << (int)PhiAction.Delete) | (1 << (int)PhiAction.Export) | (1 << (int)PhiAction.Disclose);

    /// <summary>The actions that may be granted on separately kept notes (to their author).</summary>
    public const int NoteAuthoring = (1 << (int)PhiAction.Read) | (1 << (int)PhiAction.Create) | (1 << (int)PhiAction.Update);

    public static int Of(PhiAction action) => 1 << (int)action;

    public static bool IsDefined(PhiAction action) => action is >= PhiAction.Read and <= PhiAction.Disclose;

    public static bool IsDisclosure(PhiAction action) => action is PhiAction.Disclose or PhiAction.Export;

    public static int Of(IEnumerable<PhiAction> actions, string parameterName)
    {
        int bits = 0;
        foreach (PhiAction action in actions)
        {
            if (!IsDefined(action))
            {
                throw new ArgumentOutOfRangeException(parameterName, action, "The action is not one of the defined PhiAction values.");
            }

            bits |= Of(action);
        }

        return bits;
    }

    public static string Describe(int bits)
    {
        var names = new List<string>(6);
        for (PhiAction action = PhiAction.Read; action <= PhiAction.Disclose; action++)
        {
            if ((bits & Of(action)) != 0)
            {
                names.Add(action.ToString());
            }
        }

        return string.Join(", ", names);
    }
}
