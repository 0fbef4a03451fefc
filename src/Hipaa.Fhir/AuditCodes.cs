using Hl7.Fhir.Model;

namespace Hipaa.Fhir;

/// <summary>The code systems and codes of the AuditEvent mapping (docs/audit.md, "FHIR AuditEvent").</summary>
internal static class AuditCodes
{
    public const string AuditEventType = "http://terminology.hl7.org/CodeSystem/audit-event-type";
    public const string Dicom = "http://dicom.nema.org/resources/ontology/DCM";
    public const string RestfulInteraction = "http://hl7.org/fhir/restful-interaction";
    public const string Iso21089Lifecycle = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle";
    public const string SdkAction = "urn:hipaa-sdk:audit-action";
    public const string SdkRole = "urn:hipaa-sdk:role";
    public const string SdkEntity = "urn:hipaa-sdk:entity";
    public const string ActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
    public const string ActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    public const string ParticipationType = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
    public const string AuditEntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
    public const string ObjectRole = "http://terminology.hl7.org/CodeSystem/object-role";
    public const string SecuritySourceType = "http://terminology.hl7.org/CodeSystem/security-source-type";
    public const string BalpEntityType = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType";
    public const string ProvenanceParticipantType = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
    public const string DataAbsentReason = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";

    public static Coding Rest => new(AuditEventType, "rest", "Restful Operation");

    public static Coding Export => new(Dicom, "110106", "Export");

    public static Coding PatientRecord => new(Dicom, "110110", "Patient Record");

    public static Coding Application => new(Dicom, "110150", "Application");

    public static Coding DestinationRole => new(Dicom, "110152", "Destination Role ID");

    public static Coding SourceRole => new(Dicom, "110153", "Source Role ID");

    public static Coding InformationRecipient => new(ParticipationType, "IRCP", "information recipient");

    public static Coding Author => new(ParticipationType, "AUT", "author (originator)");

    public static Coding Custodian => new(ProvenanceParticipantType, "custodian", "Custodian");

    public static Coding Person => new(AuditEntityType, "1", "Person");

    public static Coding SystemObject => new(AuditEntityType, "2", "System Object");

    public static Coding PatientRole => new(ObjectRole, "1", "Patient");

    public static Coding DomainResourceRole => new(ObjectRole, "4", "Domain Resource");

    public static Coding ApplicationServer => new(SecuritySourceType, "4", "Application Server");

    public static Coding RequestId => new(BalpEntityType, "XrequestId", "X-Request-Id");
}
