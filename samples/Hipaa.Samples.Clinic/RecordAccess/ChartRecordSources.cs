using System.Globalization;
using System.Runtime.CompilerServices;
using Hipaa.Fhir;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;
using Model = Hipaa.Samples.Clinic.Model;

namespace Hipaa.Samples.Clinic.RecordAccess;

/// <summary>
/// The designated record set for the patient's right of access (45 CFR 164.524): one source per kind of record, each
/// reading through the clinic's own context and saying how its entity maps to FHIR R4. The SDK decides, labels, explains
/// and audits; psychotherapy notes are listed so that the copy says they were withheld.
/// </summary>
/// <param name="contexts">The clinic's contexts.</param>
internal sealed class ChartRecordSources(IDbContextFactory<ClinicDb> contexts) : IPatientRecordSource
{
    public async IAsyncEnumerable<PatientRecord> ReadAsync(string patientId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Guid id = Guid.Parse(patientId);
        var subject = new ResourceReference("Patient/" + patientId);
        await using ClinicDb db = await contexts.CreateDbContextAsync(cancellationToken);

        foreach (Model.Patient p in await db.Patients.AsNoTracking().Where(p => p.Id == id).ToListAsync(cancellationToken))
        {
            yield return PatientRecord.From(p, x => new Patient
            {
                Id = patientId,
                Name = [new HumanName { Text = x.DisplayName }],
                BirthDate = x.BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                Identifier = [new Identifier("urn:hipaa-sample:mrn", x.Mrn)],
            });
        }

        foreach (Model.Appointment a in await db.Appointments.AsNoTracking().Where(a => a.PatientId == id).ToListAsync(cancellationToken))
        {
            yield return PatientRecord.From(a, x => new Appointment
            {
                Id = x.Id.ToString("D"),
                Status = Appointment.AppointmentStatus.Booked,
                Start = x.StartsAt,
                Description = x.Kind,
                Participant = [new Appointment.ParticipantComponent { Actor = subject, Status = ParticipationStatus.Accepted }],
            });
        }

        foreach (Model.ProgressNote n in await db.ProgressNotes.AsNoTracking().Where(n => n.PatientId == id).ToListAsync(cancellationToken))
        {
            yield return PatientRecord.From(n, x => Note(x.Id, subject, "11506-3", "Progress note", x.Text, x.WrittenAt));
        }

        foreach (Model.SudProgramRecord r in await db.SudProgramRecords.AsNoTracking().Where(r => r.PatientId == id).ToListAsync(cancellationToken))
        {
            yield return PatientRecord.From(r, x => Note(x.Id, subject, "11506-3", "Progress note (SUD program)", x.Summary, x.WrittenAt));
        }

        foreach (Model.PsychotherapyNote n in await db.PsychotherapyNotes.AsNoTracking().Where(n => n.PatientId == id).ToListAsync(cancellationToken))
        {
            yield return PatientRecord.From(n, x => Note(x.Id, subject, "11488-4", "Consult note", x.Text, x.WrittenAt)); // never mapped: withheld
        }

        foreach (Model.Prescription m in await db.Prescriptions.AsNoTracking().Where(m => m.PatientId == id).ToListAsync(cancellationToken))
        {
            yield return PatientRecord.From(m, x => new MedicationStatement
            {
                Id = x.Id.ToString("D"),
                Status = MedicationStatement.MedicationStatusCodes.Active,
                Medication = new CodeableConcept { Text = x.Drug },
                Subject = subject,
                Dosage = [new Dosage { Text = x.Dose }],
            });
        }

        foreach (Model.Diagnosis d in await db.Diagnoses.AsNoTracking().Where(d => d.PatientId == id).ToListAsync(cancellationToken))
        {
            yield return PatientRecord.From(d, x => new Condition
            {
                Id = x.Id.ToString("D"),
                Code = new CodeableConcept(x.CodeSystem, x.Code, x.Display),
                Subject = subject,
                Note = x.Narrative is null ? [] : [new Annotation { Text = new Markdown(x.Narrative) }],
            });
        }

        foreach (Model.Claim c in await db.Claims.AsNoTracking().Where(c => c.PatientId == id).ToListAsync(cancellationToken))
        {
            yield return PatientRecord.From(c, x => new Claim
            {
                Id = x.Id.ToString("D"),
                Status = FinancialResourceStatusCodes.Active,
                Use = ClaimUseCode.Claim,
                Patient = subject,
                Created = x.ServiceDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/claim-type", "professional"),
                Priority = new CodeableConcept("http://terminology.hl7.org/CodeSystem/processpriority", "normal"),
                Provider = new ResourceReference { Display = "The sample practice" },
                Insurance = [new Claim.InsuranceComponent { Sequence = 1, Focal = true, Coverage = new ResourceReference { Display = x.Payer } }],
            });
        }
    }

    private static Observation Note(Guid id, ResourceReference subject, string loinc, string display, string text, DateTimeOffset at) => new()
    {
        Id = id.ToString("D"),
        Status = ObservationStatus.Final,
        Code = new CodeableConcept("http://loinc.org", loinc, display),
        Subject = subject,
        Effective = new FhirDateTime(at),
        Value = new FhirString(text),
    };
}
