namespace Hipaa.EfCore.Auditing;

/// <summary>
/// One row of <c>hipaa_audit_patients</c>: a patient of a sealed audit record written once for several patients
/// (<see cref="AuditEntry.PatientIds"/>), so that "who accessed this patient" is an index lookup. Written by the sealer in
/// the transaction that seals the record, from the record's hashed patient list; <c>hipaa audit verify</c> checks that the
/// index holds exactly those patients, so a row deleted or added by someone with write access to the database is found.
/// </summary>
/// <remarks>Not sealed on purpose, like <see cref="AuditEntry"/>: it is mapped into the application's model.</remarks>
internal class AuditPatientEntry
{
    public string PatientId { get; set; } = string.Empty;

    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>The <see cref="AuditEntry.Id"/> of the record.</summary>
    public long AuditId { get; set; }
}
