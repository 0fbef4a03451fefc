namespace Hipaa.Fhir;

/// <summary>
/// Patient ids compared as the SDK compares them elsewhere (EF Core's patient scope): ordinally, or as the same
/// <see cref="Guid"/> in any spelling; a <see cref="Guid"/> is written in its canonical <c>D</c> form, as a Guid
/// <c>[PatientId]</c> property is.
/// </summary>
internal static class PatientIds
{
    public static bool Same(string? left, string? right) =>
        left is not null && right is not null
        && (string.Equals(left, right, StringComparison.Ordinal)
            || (Guid.TryParse(left, out Guid a) && Guid.TryParse(right, out Guid b) && a == b));

    public static string Canonical(string patientId) => Guid.TryParse(patientId, out Guid guid) ? guid.ToString("D") : patientId;
}
