using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.AspNetCore.Tests.EndToEnd;

/// <summary>The patient's registration record: everyone who works with the patient may read it.</summary>
[Phi("Demographics")]
public sealed class Patient
{
    [PatientId]
    public Guid Id { get; set; }

    public string Name { get; set; } = string.Empty;

    [Encrypted]
    public string? Ssn { get; set; }

    [Encrypted]
    public DateOnly? BirthDate { get; set; }
}

[Phi("ProgressNote")]
public sealed class ProgressNote
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid PatientId { get; set; }

    public string WrittenBy { get; set; } = string.Empty;

    public DateTimeOffset WrittenAt { get; set; }

    [Encrypted]
    public string Text { get; set; } = string.Empty;
}

[Phi("Medication")]
public sealed class Prescription
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid PatientId { get; set; }

    public string Drug { get; set; } = string.Empty;

    [Encrypted]
    public string? Dose { get; set; }
}

/// <summary>A diagnosis: Billing's field mask lets it see <c>Code</c>, <c>CodeSystem</c> and <c>Display</c>, never the narrative.</summary>
[Phi("Diagnosis")]
public sealed class Diagnosis
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid PatientId { get; set; }

    public string Code { get; set; } = string.Empty;

    public string CodeSystem { get; set; } = string.Empty;

    public string Display { get; set; } = string.Empty;

    [Encrypted]
    public string? Narrative { get; set; }
}

[Phi("Claim")]
public sealed class InsuranceClaim
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid PatientId { get; set; }

    public string ProcedureCode { get; set; } = string.Empty;

    public string DiagnosisCode { get; set; } = string.Empty;

    public string Payer { get; set; } = string.Empty;

    [Encrypted]
    public decimal Amount { get; set; }
}

/// <summary>A psychotherapy note (45 CFR 164.501): only its author may read it.</summary>
[Phi("PsychotherapyNote", Labels = ["PSYTHPN"])]
public sealed class PsychotherapyNote
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid PatientId { get; set; }

    [AuthorId]
    public string AuthorId { get; set; } = string.Empty;

    [Encrypted]
    public string Text { get; set; } = string.Empty;
}

/// <summary>The EHR's database: every entity is PHI, enforced and audited through <c>UseHipaa</c>.</summary>
public sealed class ChartDb(DbContextOptions<ChartDb> options) : DbContext(options)
{
    public DbSet<Patient> Patients => Set<Patient>();

    public DbSet<ProgressNote> ProgressNotes => Set<ProgressNote>();

    public DbSet<Prescription> Prescriptions => Set<Prescription>();

    public DbSet<Diagnosis> Diagnoses => Set<Diagnosis>();

    public DbSet<InsuranceClaim> Claims => Set<InsuranceClaim>();

    public DbSet<PsychotherapyNote> PsychotherapyNotes => Set<PsychotherapyNote>();
}
