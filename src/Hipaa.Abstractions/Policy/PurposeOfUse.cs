namespace Hipaa.Policy;

/// <summary>
/// Why the data is being accessed, as an HL7 purpose-of-use code (v3 PurposeOfUse value set). The codes the engine's
/// rules name are static members; any other HL7 code can be carried with <c>new PurposeOfUse("PUBHLTH")</c> and is
/// denied unless the role catalog allows it for a role.
/// </summary>
/// <remarks>Codes compare ordinally (case-sensitive, as HL7 codes are). <c>default(PurposeOfUse)</c> is not a purpose.</remarks>
public readonly struct PurposeOfUse : IEquatable<PurposeOfUse>
{
    private readonly string? _code;

    /// <summary>Creates a purpose of use from its HL7 code.</summary>
    /// <param name="code">The HL7 code, for example <c>"TREAT"</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="code"/> is empty or white space.</exception>
    public PurposeOfUse(string code)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        _code = code;
    }

    /// <summary>The HL7 code; empty for <c>default(PurposeOfUse)</c>.</summary>
    public string Code => _code ?? string.Empty;

    /// <summary>Whether this is <c>default(PurposeOfUse)</c> rather than a code.</summary>
    public bool IsEmpty => _code is null;

    /// <summary><c>TREAT</c>: treatment.</summary>
    public static PurposeOfUse Treatment { get; } = new("TREAT");

    /// <summary><c>HPAYMT</c>: payment.</summary>
    public static PurposeOfUse Payment { get; } = new("HPAYMT");

    /// <summary><c>HOPERAT</c>: health care operations.</summary>
    public static PurposeOfUse Operations { get; } = new("HOPERAT");

    /// <summary><c>ETREAT</c>: emergency treatment, the break-the-glass purpose; needs a stated reason.</summary>
    public static PurposeOfUse EmergencyTreatment { get; } = new("ETREAT");

    /// <summary><c>PATRQT</c>: at the patient's request (the patient's right of access).</summary>
    public static PurposeOfUse PatientRequest { get; } = new("PATRQT");

    /// <summary><c>HRESCH</c>: research.</summary>
    public static PurposeOfUse Research { get; } = new("HRESCH");

    /// <summary><c>HLEGAL</c>: legal defense or a judicial or administrative proceeding.</summary>
    public static PurposeOfUse Legal { get; } = new("HLEGAL");

    /// <summary><c>HOVERSIGHT</c>: health oversight, including HHS compliance reviews.</summary>
    public static PurposeOfUse Oversight { get; } = new("HOVERSIGHT");

    /// <summary><c>HTRAIN</c>: supervised training of mental-health practitioners.</summary>
    public static PurposeOfUse Training { get; } = new("HTRAIN");

    /// <summary>
    /// <c>HSYSADMIN</c>: health system administration — here, key maintenance (re-encryption and the encryption of existing
    /// data, <see cref="PhiAction.Reencrypt"/>), which the engine permits for this purpose only. No role of the default
    /// catalog may read or write records for it. See <c>AccessContext.ForKeyMaintenance</c>.
    /// </summary>
    public static PurposeOfUse SystemAdministration { get; } = new("HSYSADMIN");

    /// <summary><c>COC</c>: coordination of care.</summary>
    public static PurposeOfUse CoordinationOfCare { get; } = new("COC");

    /// <summary>Compares two purposes by code.</summary>
    public static bool operator ==(PurposeOfUse left, PurposeOfUse right) => left.Equals(right);

    /// <summary>Compares two purposes by code.</summary>
    public static bool operator !=(PurposeOfUse left, PurposeOfUse right) => !left.Equals(right);

    /// <inheritdoc />
    public bool Equals(PurposeOfUse other) => string.Equals(_code, other._code, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PurposeOfUse other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _code is null ? 0 : StringComparer.Ordinal.GetHashCode(_code);

    /// <summary>The HL7 code.</summary>
    public override string ToString() => Code;
}
