namespace Hipaa.Policy;

/// <summary>
/// An HL7 information-sensitivity code carried by a record (v3 ActCode, InformationSensitivityPolicy). The codes of
/// the default behavioral-health configuration are static members; others can be carried with
/// <c>new SensitivityLabel("GDIS")</c>.
/// </summary>
/// <remarks>
/// Of these, <see cref="SubstanceUseDisorder"/> changes decisions: it marks a 42 CFR Part 2 record. Codes compare
/// ordinally (case-sensitive). <c>default(SensitivityLabel)</c> is not a label.
/// </remarks>
public readonly struct SensitivityLabel : IEquatable<SensitivityLabel>
{
    private readonly string? _code;

    /// <summary>Creates a label from its HL7 code.</summary>
    /// <param name="code">The HL7 code, for example <c>"SUD"</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="code"/> is empty or white space.</exception>
    public SensitivityLabel(string code)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        _code = code;
    }

    /// <summary>The HL7 code; empty for <c>default(SensitivityLabel)</c>.</summary>
    public string Code => _code ?? string.Empty;

    /// <summary>Whether this is <c>default(SensitivityLabel)</c> rather than a code.</summary>
    public bool IsEmpty => _code is null;

    /// <summary><c>SUD</c>: substance use disorder information; the record is a 42 CFR Part 2 record.</summary>
    public static SensitivityLabel SubstanceUseDisorder { get; } = new("SUD");

    /// <summary><c>ETH</c>: substance abuse information (the older HL7 code).</summary>
    public static SensitivityLabel SubstanceAbuse { get; } = new("ETH");

    /// <summary><c>PSY</c>: psychiatry disorder information.</summary>
    public static SensitivityLabel Psychiatry { get; } = new("PSY");

    /// <summary><c>PSYTHPN</c>: psychotherapy note information.</summary>
    public static SensitivityLabel PsychotherapyNote { get; } = new("PSYTHPN");

    /// <summary><c>HIV</c>: HIV/AIDS information.</summary>
    public static SensitivityLabel Hiv { get; } = new("HIV");

    /// <summary><c>SDV</c>: sexual assault, abuse or domestic violence information.</summary>
    public static SensitivityLabel SexualAndDomesticViolence { get; } = new("SDV");

    /// <summary>Compares two labels by code.</summary>
    public static bool operator ==(SensitivityLabel left, SensitivityLabel right) => left.Equals(right);

    /// <summary>Compares two labels by code.</summary>
    public static bool operator !=(SensitivityLabel left, SensitivityLabel right) => !left.Equals(right);

    /// <inheritdoc />
    public bool Equals(SensitivityLabel other) => string.Equals(_code, other._code, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is SensitivityLabel other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _code is null ? 0 : StringComparer.Ordinal.GetHashCode(_code);

    /// <summary>The HL7 code.</summary>
    public override string ToString() => Code;
}
