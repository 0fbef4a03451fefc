namespace Hipaa.Policy;

/// <summary>One grant (or revocation) of actions on a category to a role, as read from configuration.</summary>
public sealed class RoleGrantChange
{
    /// <summary>Gets or sets the role, e.g. <c>"Nurse"</c>.</summary>
    public string Role { get; set; } = string.Empty;

    /// <summary>Gets or sets the data category, e.g. <c>"Medication"</c>.</summary>
    public string Category { get; set; } = string.Empty;

    /// <summary>Gets the actions: <c>Read</c>, <c>Create</c>, <c>Update</c>, <c>Delete</c>, <c>Export</c>, <c>Disclose</c>.</summary>
    public IList<string> Actions { get; } = [];
}
