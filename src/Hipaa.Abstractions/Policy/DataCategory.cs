namespace Hipaa.Policy;

/// <summary>
/// A category of health record the role matrix grants access to (progress notes, medications, claims …). The twelve
/// categories of the default behavioral-health catalog are static members; a practice can add its own with
/// <c>new DataCategory("Referral")</c> and <see cref="RoleCatalog.DefineCategory(DataCategory)"/>.
/// </summary>
/// <remarks>Names compare ordinally (case-sensitive). <c>default(DataCategory)</c> is not a category and is rejected.</remarks>
public readonly struct DataCategory : IEquatable<DataCategory>
{
    private readonly string? _name;

    /// <summary>Creates a data category with the given name.</summary>
    /// <param name="name">The category's name, for example <c>"ProgressNote"</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or white space.</exception>
    public DataCategory(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _name = name;
    }

    /// <summary>The category's name; empty for <c>default(DataCategory)</c>.</summary>
    public string Name => _name ?? string.Empty;

    /// <summary>Whether this is <c>default(DataCategory)</c> rather than a named category.</summary>
    public bool IsEmpty => _name is null;

    /// <summary>The wildcard <c>"*"</c>: in a consent's categories it covers every category. Never a record's category.</summary>
    public static DataCategory All { get; } = new("*");

    /// <summary>Name, address, date of birth, contact details.</summary>
    public static DataCategory Demographics { get; } = new("Demographics");

    /// <summary>Scheduled and past appointments.</summary>
    public static DataCategory Appointment { get; } = new("Appointment");

    /// <summary>Progress notes of the medical record (not psychotherapy notes).</summary>
    public static DataCategory ProgressNote { get; } = new("ProgressNote");

    /// <summary>Psychotherapy notes kept apart from the medical record (45 CFR 164.501); rule <c>notes.*</c> governs them.</summary>
    public static DataCategory PsychotherapyNote { get; } = new("PsychotherapyNote");

    /// <summary>SUD counseling notes kept apart from the record (42 CFR 2.11); handled like psychotherapy notes.</summary>
    public static DataCategory SudCounselingNote { get; } = new("SudCounselingNote");

    /// <summary>Prescriptions and medication history.</summary>
    public static DataCategory Medication { get; } = new("Medication");

    /// <summary>Diagnoses (codes and narrative).</summary>
    public static DataCategory Diagnosis { get; } = new("Diagnosis");

    /// <summary>Treatment plans.</summary>
    public static DataCategory TreatmentPlan { get; } = new("TreatmentPlan");

    /// <summary>Laboratory orders and results.</summary>
    public static DataCategory LabResult { get; } = new("LabResult");

    /// <summary>Claims and remittances.</summary>
    public static DataCategory Claim { get; } = new("Claim");

    /// <summary>The patient's consents and authorizations.</summary>
    public static DataCategory Consent { get; } = new("Consent");

    /// <summary>The audit trail of accesses to the patient's records.</summary>
    public static DataCategory AuditLog { get; } = new("AuditLog");

    /// <summary>Whether this is one of the two kinds of separately kept notes: psychotherapy notes or SUD counseling notes.</summary>
    public bool IsSeparatelyKeptNote => Equals(PsychotherapyNote) || Equals(SudCounselingNote);

    /// <summary>Compares two categories by name.</summary>
    public static bool operator ==(DataCategory left, DataCategory right) => left.Equals(right);

    /// <summary>Compares two categories by name.</summary>
    public static bool operator !=(DataCategory left, DataCategory right) => !left.Equals(right);

    /// <inheritdoc />
    public bool Equals(DataCategory other) => string.Equals(_name, other._name, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is DataCategory other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _name is null ? 0 : StringComparer.Ordinal.GetHashCode(_name);

    /// <summary>The category's name.</summary>
    public override string ToString() => Name;
}
