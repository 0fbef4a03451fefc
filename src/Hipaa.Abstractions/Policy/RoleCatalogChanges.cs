namespace Hipaa.Policy;

/// <summary>
/// Changes to a role catalog read from configuration (e.g. the <c>Hipaa:Policy</c> section), so a practice can adjust the
/// default matrix without code. <see cref="ApplyTo"/> applies them and lists every problem; start-up fails on any.
/// </summary>
/// <example>
/// <code>
/// "Hipaa": { "Policy": { "Changes": {
///   "Grant":  [ { "Role": "Nurse", "Category": "Medication", "Actions": [ "Update" ] } ],
///   "Revoke": [ { "Role": "FrontDesk", "Category": "Appointment", "Actions": [ "Delete" ] } ],
///   "AllowPurposes": [ { "Role": "Nurse", "Purpose": "HTRAIN" } ] } } }
/// </code>
/// </example>
public sealed class RoleCatalogChanges
{
    /// <summary>Gets categories to define (a practice's own, e.g. <c>"Referral"</c>), before the grants are applied.</summary>
    public IList<string> Categories { get; } = [];

    /// <summary>Gets the grants to add.</summary>
    public IList<RoleGrantChange> Grant { get; } = [];

    /// <summary>Gets the grants to take away.</summary>
    public IList<RoleGrantChange> Revoke { get; } = [];

    /// <summary>Gets purposes of use to allow a role.</summary>
    public IList<RolePurposeChange> AllowPurposes { get; } = [];

    /// <summary>Gets purposes of use to take from a role.</summary>
    public IList<RolePurposeChange> DisallowPurposes { get; } = [];

    /// <summary>Gets a value indicating whether no change is listed.</summary>
    public bool IsEmpty => Categories.Count + Grant.Count + Revoke.Count + AllowPurposes.Count + DisallowPurposes.Count == 0;

    /// <summary>Applies the changes to <paramref name="catalog"/> and returns every problem (an empty list when all applied).</summary>
    /// <param name="catalog">The catalog to change, typically <see cref="RoleCatalog.CreateDefault"/>.</param>
    /// <returns>One sentence per problem, naming the entry and the value it saw.</returns>
    public IReadOnlyList<string> ApplyTo(RoleCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var problems = new List<string>();
        foreach (var category in Categories)
        {
            if (string.IsNullOrWhiteSpace(category))
            {
                problems.Add("Categories lists an empty category name.");
                continue;
            }

            catalog.DefineCategory(new DataCategory(category));
        }

        Apply(Grant, "Grant", problems, (role, category, actions) => catalog.Grant(role, category, actions));
        Apply(Revoke, "Revoke", problems, (role, category, actions) => catalog.Revoke(role, category, actions));
        Apply(AllowPurposes, "AllowPurposes", problems, (role, purpose) => catalog.AllowPurpose(role, purpose));
        Apply(DisallowPurposes, "DisallowPurposes", problems, (role, purpose) => catalog.DisallowPurpose(role, purpose));
        return problems;
    }

    private static void Apply(IList<RoleGrantChange> changes, string list, List<string> problems, Action<string, DataCategory, PhiAction[]> apply)
    {
        for (var i = 0; i < changes.Count; i++)
        {
            var change = changes[i];
            var where = $"{list}[{i}] (role '{change.Role}', category '{change.Category}')";
            if (string.IsNullOrWhiteSpace(change.Role) || string.IsNullOrWhiteSpace(change.Category))
            {
                problems.Add($"{where} needs both a Role and a Category.");
                continue;
            }

            var actions = new List<PhiAction>();
            foreach (var name in change.Actions)
            {
                if (Enum.TryParse<PhiAction>(name, ignoreCase: true, out var action) && ActionBits.IsDefined(action))
                {
                    actions.Add(action);
                }
                else
                {
                    problems.Add($"{where} names the action '{name}'; use Read, Create, Update, Delete, Export or Disclose.");
                }
            }

            if (actions.Count == 0)
            {
                problems.Add($"{where} lists no valid action.");
                continue;
            }

            Try(problems, where, () => apply(change.Role, new DataCategory(change.Category), [.. actions]));
        }
    }

    private static void Apply(IList<RolePurposeChange> changes, string list, List<string> problems, Action<string, PurposeOfUse> apply)
    {
        for (var i = 0; i < changes.Count; i++)
        {
            var change = changes[i];
            var where = $"{list}[{i}] (role '{change.Role}', purpose '{change.Purpose}')";
            if (string.IsNullOrWhiteSpace(change.Role) || string.IsNullOrWhiteSpace(change.Purpose))
            {
                problems.Add($"{where} needs both a Role and a Purpose.");
                continue;
            }

            Try(problems, where, () => apply(change.Role, new PurposeOfUse(change.Purpose)));
        }
    }

    private static void Try(List<string> problems, string where, Action apply)
    {
        try
        {
            apply();
        }
        catch (Exception refused) when (refused is ArgumentException or InvalidOperationException or KeyNotFoundException)
        {
            problems.Add($"{where}: {refused.Message}");
        }
    }
}
