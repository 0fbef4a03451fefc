using Hl7.Fhir.Model;

namespace Hipaa.Fhir;

/// <summary>
/// Finds, in a mapped resource, anything that names a patient other than the exported one: a reference
/// <c>Patient/&lt;id&gt;</c> (relative, absolute or versioned), a reference by identifier of <c>urn:hipaa-sdk:patient</c>,
/// or a <c>Patient</c> resource (the resource itself or a contained one) with another id or such an identifier. The
/// export refuses the Bundle when it finds one: a mapping that attached the wrong subject must not leave.
/// </summary>
internal static class PatientReferenceCheck
{
    /// <summary>The identifier system of the SDK's patient ids (as <see cref="FhirConsentMapper"/> writes them).</summary>
    public const string PatientIdentifierSystem = "urn:hipaa-sdk:patient";

    /// <summary>What names another patient, as an element path without values (no ids), or <see langword="null"/>.</summary>
    public static string? FindOtherPatient(Resource resource, string patientId) => Visit(resource, resource.TypeName, patientId);

    private static string? Visit(Base element, string path, string patientId)
    {
        switch (element)
        {
            case ResourceReference reference when NamesOtherPatient(reference, patientId):
                return path;
            case Patient patient when (patient.Id is { } id && !PatientIds.Same(id, patientId)) || OtherIdentifier(patient.Identifier, patientId):
                return path + " (a Patient resource of another patient)";
        }

        foreach (KeyValuePair<string, object> child in element.EnumerateElements())
        {
            switch (child.Value)
            {
                case Base single when Visit(single, path + "." + child.Key, patientId) is { } found:
                    return found;
                case IEnumerable<Base> many:
                    int index = 0;
                    foreach (Base item in many)
                    {
                        if (Visit(item, $"{path}.{child.Key}[{index++}]", patientId) is { } foundInList)
                        {
                            return foundInList;
                        }
                    }

                    break;
            }
        }

        return null;
    }

    private static bool NamesOtherPatient(ResourceReference reference, string patientId)
    {
        if (reference.Identifier is { System: PatientIdentifierSystem, Value: { } value } && !PatientIds.Same(value, patientId))
        {
            return true;
        }

        if (reference.Reference is not { Length: > 0 } text || text.StartsWith('#') || text.StartsWith("urn:", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // [base/]Patient/<id>[/_history/<version>], ignoring a query or fragment.
        int end = text.IndexOfAny(['?', '#']);
        string[] segments = (end < 0 ? text : text[..end]).Split('/');
        for (int i = 0; i < segments.Length - 1; i++)
        {
            if (segments[i] == "Patient" && !PatientIds.Same(Uri.UnescapeDataString(segments[i + 1]), patientId))
            {
                return true;
            }
        }

        return false;
    }

    private static bool OtherIdentifier(List<Identifier> identifiers, string patientId) =>
        identifiers.Exists(i => i.System == PatientIdentifierSystem && i.Value is { } value && !PatientIds.Same(value, patientId));
}
