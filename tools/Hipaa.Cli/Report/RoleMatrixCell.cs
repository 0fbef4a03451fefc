using Hipaa.Policy;

namespace Hipaa.Cli.Report;

/// <summary>What one role may do with one data category under the catalog: per action, the purposes of use it may act for.</summary>
/// <param name="Role">The role.</param>
/// <param name="Category">The data category.</param>
/// <param name="Purposes">Per action granted, the purposes (HL7 codes) for which the matrix grants it and the role may act.</param>
/// <param name="FieldMask">Whether a field mask withholds some fields from the role.</param>
internal sealed record RoleMatrixCell(string Role, string Category, IReadOnlyDictionary<PhiAction, IReadOnlyList<string>> Purposes, bool FieldMask)
{
    /// <summary>The matrix letters of docs/policy.md: R read, W create/update, D delete, X export/disclose; empty when nothing is granted.</summary>
    public string Letters
    {
        get
        {
            var letters = new List<string>(4);
            if (Purposes.ContainsKey(PhiAction.Read))
            {
                letters.Add("R");
            }

            if (Purposes.ContainsKey(PhiAction.Create) || Purposes.ContainsKey(PhiAction.Update))
            {
                letters.Add("W");
            }

            if (Purposes.ContainsKey(PhiAction.Delete))
            {
                letters.Add("D");
            }

            if (Purposes.ContainsKey(PhiAction.Export) || Purposes.ContainsKey(PhiAction.Disclose))
            {
                letters.Add("X");
            }

            return string.Concat(letters);
        }
    }
}
