using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Hipaa.Auditing;
using Hipaa.Fhir;
using Hipaa.Policy;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

#nullable disable warnings

namespace Hipaa.Fhir.Tests.RightOfAccess;

/// <summary>Laws of the right-of-access export over any mix of records of the patient and of another patient.</summary>
public sealed class PatientRecordExportPropertyTests
{
    private static readonly Guid Patient = Guid.Parse("3a1d2f44-7b9e-4c0a-8e21-5d6c7b8a9f03");
    private static readonly Guid OtherPatient = Guid.Parse("c4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f04");

    /// <summary>A record of the test model: 0 progress note (Part 2), 1 medication, 2 psychotherapy note; of the patient or not.</summary>
    public sealed record Generated(int Kind, bool OfOtherPatient)
    {
        public object Entity()
        {
            Guid patient = OfOtherPatient ? OtherPatient : Patient;
            return Kind switch
            {
                0 => new CounselingSession { Id = Guid.NewGuid(), MemberId = patient, Summary = "s" },
                1 => new MedicationOrder { Id = Guid.NewGuid(), MemberId = patient, Drug = "d", Dose = "1 mg" },
                _ => new ProcessNote { Id = Guid.NewGuid(), MemberId = patient, AuthorId = "u-ther-1", Text = "t" },
            };
        }
    }

    public static Arbitrary<Generated[]> Records() =>
        Gen.ArrayOf(
                from kind in Gen.Choose(0, 2)
                from other in Gen.Frequency((8, Gen.Constant(false)), (1, Gen.Constant(true)))
                select new Generated(kind, other))
            .ToArbitrary();

    [Property(Arbitrary = [typeof(PatientRecordExportPropertyTests)], MaxTest = 200)]
    public void Export_AnyRecords_NeverDisclosesAnotherPatientsRecordOrAPsychotherapyNote(Generated[] records)
    {
        var audit = new RecordingAuditSink();
        object[] entities = [new Member { Id = Patient, Name = "n" }, .. records.Select(r => r.Entity())];
        var export = new PatientRecordExport([new InMemorySource(entities)], audit, PolicyEngine.Default, TimeProvider.System, new PatientRecordExportOptions());

        Bundle bundle = null;
        Exception failure = null;
        System.Threading.Tasks.Task.Run(async () =>
        {
            using (AccessContext.Begin(new AccessContext(new Actor(Patient.ToString("D"), [WellKnownRoles.Patient], "practice"), PurposeOfUse.PatientRequest)))
            {
                try
                {
                    bundle = await export.ExportAsync(Patient.ToString("D"));
                }
                catch (InvalidOperationException e)
                {
                    failure = e;
                }
            }
        }).GetAwaiter().GetResult();

        if (records.Any(r => r.OfOtherPatient))
        {
            Assert.NotNull(failure);
            Assert.Null(bundle);
            Assert.Empty(audit.Records);
            return;
        }

        Assert.Null(failure);
        int notes = records.Count(r => r.Kind == 2);
        Resource[] exported = [.. bundle.Entry.Select(e => e.Resource).Where(r => r is not OperationOutcome)];
        Assert.Equal(1 + records.Length - notes, exported.Length);
        Assert.DoesNotContain(exported, r => r is DocumentReference);
        Assert.Equal(notes > 0, bundle.Entry.Any(e => e.Resource is OperationOutcome));
        Assert.All(exported.OfType<Observation>(), o => Assert.Equal("Patient/" + Patient.ToString("D"), o.Subject.Reference));
        var disclosure = Assert.Single(audit.Records);
        Assert.Equal((AuditOutcome.Success, exported.Length), (disclosure.Outcome, disclosure.RowCount));
    }
}
