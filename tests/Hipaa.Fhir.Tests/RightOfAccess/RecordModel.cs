using Hipaa;
using Hipaa.Encryption;
using Hipaa.Fhir;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.Fhir.Tests.RightOfAccess;

/// <summary>A patient's demographics.</summary>
[Phi("Demographics")]
public sealed class Member
{
    [PatientId]
    public Guid Id { get; set; }

    public string Name { get; set; } = string.Empty;

    [Encrypted]
    public string? BirthDate { get; set; }
}

/// <summary>A progress note of the practice's SUD program: a 42 CFR Part 2 record.</summary>
[Phi("ProgressNote", Labels = ["SUD"])]
public sealed class CounselingSession
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid MemberId { get; set; }

    [Encrypted]
    public string Summary { get; set; } = string.Empty;
}

[Phi("Medication")]
public sealed class MedicationOrder
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid MemberId { get; set; }

    public string Drug { get; set; } = string.Empty;

    [Encrypted]
    public string? Dose { get; set; }
}

/// <summary>A psychotherapy note: excluded from the right of access (45 CFR 164.524(a)(1)(i)).</summary>
[Phi("PsychotherapyNote", Labels = ["PSYTHPN"])]
public sealed class ProcessNote
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid MemberId { get; set; }

    [AuthorId]
    public string AuthorId { get; set; } = string.Empty;

    [Encrypted]
    public string Text { get; set; } = string.Empty;
}

public sealed class RecordsDb(DbContextOptions<RecordsDb> options) : DbContext(options)
{
    public DbSet<Member> Members => Set<Member>();

    public DbSet<CounselingSession> Sessions => Set<CounselingSession>();

    public DbSet<MedicationOrder> Medications => Set<MedicationOrder>();

    public DbSet<ProcessNote> ProcessNotes => Set<ProcessNote>();
}

/// <summary>How the test application maps its entities to FHIR R4; counts the mappings of psychotherapy notes, which must be none.</summary>
public static class RecordMapping
{
    private static int s_processNotesMapped;

    public static int ProcessNotesMapped => Volatile.Read(ref s_processNotesMapped);

    public static string Json(Resource resource) =>
        System.Text.Json.JsonSerializer.Serialize(resource, new System.Text.Json.JsonSerializerOptions().ForFhir());

    public static Resource ToFhir(Member member) => new Patient
    {
        Id = member.Id.ToString("D"),
        Name = [new HumanName { Text = member.Name }],
        BirthDate = member.BirthDate,
    };

    public static Resource ToFhir(CounselingSession session) => new Observation
    {
        Id = session.Id.ToString("D"),
        Status = ObservationStatus.Final,
        Code = new CodeableConcept("http://loinc.org", "11506-3", "Progress note"),
        Subject = new ResourceReference("Patient/" + session.MemberId.ToString("D")),
        Value = new FhirString(session.Summary),
    };

    public static Resource ToFhir(MedicationOrder order) => new MedicationStatement
    {
        Id = order.Id.ToString("D"),
        Status = MedicationStatement.MedicationStatusCodes.Active,
        Medication = new CodeableConcept { Text = order.Drug },
        Subject = new ResourceReference("Patient/" + order.MemberId.ToString("D")),
        Dosage = [new Dosage { Text = order.Dose }],
    };

    public static Resource ToFhir(ProcessNote note)
    {
        Interlocked.Increment(ref s_processNotesMapped);
        return new DocumentReference
        {
            Id = note.Id.ToString("D"),
            Status = DocumentReferenceStatus.Current,
            Subject = new ResourceReference("Patient/" + note.MemberId.ToString("D")),
            Description = note.Text,
        };
    }

    public static PatientRecord Record(object entity) => entity switch
    {
        Member m => PatientRecord.From(m, ToFhir),
        CounselingSession s => PatientRecord.From(s, ToFhir),
        MedicationOrder o => PatientRecord.From(o, ToFhir),
        ProcessNote n => PatientRecord.From(n, ToFhir),
        _ => throw new ArgumentOutOfRangeException(nameof(entity), entity.GetType().Name, "Not an entity of the test model."),
    };
}
