namespace Hipaa;

/// <summary>
/// Marks an entity as protected health information of a data category (the names of <see cref="Policy.DataCategory"/>,
/// e.g. <c>"ProgressNote"</c>), optionally with HL7 sensitivity labels (<c>"SUD"</c> for a 42 CFR Part 2 record,
/// <c>"PSY"</c>, <c>"HIV"</c> …). Every read and write of such an entity through a <c>UseHipaa</c> context is audited,
/// per patient (<see cref="PatientIdAttribute"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = true)]
public sealed class PhiAttribute : Attribute
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="category">The data category of the records, e.g. <c>"ProgressNote"</c>.</param>
    public PhiAttribute(string category)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(category);
        Category = category;
    }

    /// <summary>Gets the data category of the records.</summary>
    public string Category { get; }

    /// <summary>Gets or sets the HL7 sensitivity labels every record of this entity carries (e.g. <c>"SUD"</c>). Defaults to none.</summary>
    public string[] Labels { get; set; } = [];
}
