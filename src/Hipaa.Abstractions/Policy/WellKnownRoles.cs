namespace Hipaa.Policy;

/// <summary>The role names of the default behavioral-health catalog (<see cref="RoleCatalog.CreateDefault"/>).</summary>
public static class WellKnownRoles
{
    /// <summary>A therapist: progress notes, diagnoses, treatment plans; not prescriptions.</summary>
    public const string Therapist = "Therapist";

    /// <summary>A psychiatrist (prescriber): everything a therapist has, plus medications and lab results.</summary>
    public const string Psychiatrist = "Psychiatrist";

    /// <summary>A nurse: reads the clinical record, records lab results.</summary>
    public const string Nurse = "Nurse";

    /// <summary>A billing coordinator: claims and what a claim needs (masked diagnoses); nothing clinical.</summary>
    public const string Billing = "Billing";

    /// <summary>Front desk: demographics, scheduling and consents on file.</summary>
    public const string FrontDesk = "FrontDesk";

    /// <summary>A clinical supervisor: clinical reading, and psychotherapy notes for supervised training.</summary>
    public const string ClinicalSupervisor = "ClinicalSupervisor";

    /// <summary>The compliance (privacy) officer: the audit trail, disclosures to courts and HHS; nothing clinical to read.</summary>
    public const string ComplianceOfficer = "ComplianceOfficer";

    /// <summary>The patient: reads their own record (right of access).</summary>
    public const string Patient = "Patient";

    /// <summary>A provider outside the practice: no grants; receives data only through disclosures.</summary>
    public const string ExternalProvider = "ExternalProvider";
}
