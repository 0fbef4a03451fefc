using Hipaa.Encryption;

namespace Hipaa.Cli.ClinicDriver;

/// <summary>Demographics: name, MRN (searchable) and birth date encrypted; the state of residence in plaintext.</summary>
[Phi("Demographics")]
public sealed class ClinicPatient
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid PatientId { get; set; }

    [Encrypted]
    public string Name { get; set; } = string.Empty;

    [Encrypted(Searchable = true)]
    public string Mrn { get; set; } = string.Empty;

    [Encrypted]
    public DateOnly BirthDate { get; set; }

    public string State { get; set; } = string.Empty;
}
