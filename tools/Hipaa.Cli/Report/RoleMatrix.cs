using System.Reflection;
using Hipaa.Policy;

namespace Hipaa.Cli.Report;

/// <summary>
/// The role matrix of a <see cref="RoleCatalog"/>, read from the catalog itself (never restated): for every role and data
/// category, which actions it grants and for which purposes of use. The purposes asked about are every
/// <see cref="PurposeOfUse"/> the SDK names; the engine's legal rules (psychotherapy notes, Part 2, break-the-glass) apply on
/// top of the matrix and are not in it.
/// </summary>
internal sealed class RoleMatrix
{
    private RoleMatrix(IReadOnlyList<string> roles, IReadOnlyList<string> categories, IReadOnlyList<RoleMatrixCell> cells, IReadOnlyDictionary<string, RoleTraits> traits)
    {
        Roles = roles;
        Categories = categories;
        Cells = cells;
        Traits = traits;
    }

    /// <summary>The actions of the matrix (every <see cref="PhiAction"/> but <see cref="PhiAction.Reencrypt"/>, which no catalog grants).</summary>
    public static IReadOnlyList<PhiAction> Actions { get; } = [.. Enum.GetValues<PhiAction>().Where(a => a != PhiAction.Reencrypt)];

    /// <summary>Every purpose of use the SDK names (the public static members of <see cref="PurposeOfUse"/>).</summary>
    public static IReadOnlyList<PurposeOfUse> KnownPurposes { get; } = [.. typeof(PurposeOfUse)
        .GetProperties(BindingFlags.Public | BindingFlags.Static)
        .Where(p => p.PropertyType == typeof(PurposeOfUse))
        .Select(p => (PurposeOfUse)p.GetValue(null)!)
        .OrderBy(p => p.Code, StringComparer.Ordinal)];

    public IReadOnlyList<string> Roles { get; }

    public IReadOnlyList<string> Categories { get; }

    public IReadOnlyDictionary<string, RoleTraits> Traits { get; }

    /// <summary>One cell per role and category, roles in catalog order, categories by name.</summary>
    public IReadOnlyList<RoleMatrixCell> Cells { get; }

    public RoleMatrixCell Cell(string role, string category) => Cells.Single(c => c.Role == role && c.Category == category);

    public static RoleMatrix From(RoleCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        List<string> roles = [.. catalog.Roles];
        List<DataCategory> categories = [.. catalog.Categories.OrderBy(c => c.Name, StringComparer.Ordinal)];
        var cells = new List<RoleMatrixCell>();
        foreach (string role in roles)
        {
            foreach (DataCategory category in categories)
            {
                var purposes = new Dictionary<PhiAction, IReadOnlyList<string>>();
                foreach (PhiAction action in Actions)
                {
                    List<string> granted = [.. KnownPurposes
                        .Where(p => catalog.IsGranted(role, category, action, p) && catalog.AllowsPurpose(role, p, action))
                        .Select(p => p.Code)];
                    if (granted.Count > 0)
                    {
                        purposes[action] = granted;
                    }
                }

                cells.Add(new RoleMatrixCell(role, category.Name, purposes, catalog.GetFieldMask(role, category) is not null));
            }
        }

        return new RoleMatrix(roles, [.. categories.Select(c => c.Name)], cells, roles.ToDictionary(r => r, catalog.GetTraits, StringComparer.Ordinal));
    }
}
