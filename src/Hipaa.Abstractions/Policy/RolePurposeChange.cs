namespace Hipaa.Policy;

/// <summary>One purpose of use allowed to (or taken from) a role, as read from configuration.</summary>
public sealed class RolePurposeChange
{
    /// <summary>Gets or sets the role, e.g. <c>"Nurse"</c>.</summary>
    public string Role { get; set; } = string.Empty;

    /// <summary>Gets or sets the HL7 purpose of use, e.g. <c>"HTRAIN"</c>.</summary>
    public string Purpose { get; set; } = string.Empty;
}
