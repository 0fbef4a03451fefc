using Hipaa.Fhir;
using Hipaa.Policy;
using Hl7.Fhir.Model;

namespace Hipaa.Fhir.Tests.RightOfAccess;

/// <summary>A record's patient, category, labels and author come from the entity's attributes, never from the source.</summary>
public sealed class PatientRecordTests
{
    [Fact]
    public void From_PsychotherapyNote_TakesPatientCategoryLabelsAndAuthorFromTheAttributesWithoutMapping()
    {
        Guid patient = Guid.NewGuid();
        int mapped = 0;

        PatientRecord record = PatientRecord.From(new ProcessNote { Id = Guid.NewGuid(), MemberId = patient, AuthorId = "u-ther-1" }, n =>
        {
            mapped++;
            return new DocumentReference();
        });

        Assert.Equal((patient.ToString("D"), DataCategory.PsychotherapyNote, "u-ther-1"), (record.PatientId, record.Category, record.AuthorId));
        Assert.Equal([SensitivityLabel.PsychotherapyNote], record.Labels);
        Assert.Equal(0, mapped);
    }

    [Fact]
    public void From_EntityWithoutThePhiAttribute_IsRefused()
    {
        var failure = Assert.Throws<ArgumentException>(() => PatientRecord.From(new Unmarked { PatientId = "p1" }, _ => new Basic()));

        Assert.Contains("Unmarked is not marked [Phi(", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void From_EntityWithoutAPatientIdAttribute_IsRefusedNamingTheAttribute()
    {
        var failure = Assert.Throws<ArgumentException>(() => PatientRecord.From(new FluentOnly { PatientId = "p1" }, _ => new Basic()));

        Assert.Contains("no property marked [PatientId]", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void From_EntityWithAnEmptyPatientId_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => PatientRecord.From(new WithStringPatient { PatientId = " " }, _ => new Basic()));
    }

    private sealed class Unmarked
    {
        [PatientId]
        public string PatientId { get; set; } = "";
    }

    [Phi("ProgressNote")]
    private sealed class FluentOnly
    {
        public string PatientId { get; set; } = "";
    }

    [Phi("ProgressNote")]
    private sealed class WithStringPatient
    {
        [PatientId]
        public string PatientId { get; set; } = "";
    }
}
