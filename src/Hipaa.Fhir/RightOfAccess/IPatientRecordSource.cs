namespace Hipaa.Fhir;

/// <summary>
/// The application's side of the right-of-access export (<see cref="PatientRecordExport"/>): reads one kind of the
/// patient's records through the application's own <c>DbContext</c> and says how each maps to FHIR. Register one per kind of
/// record in the designated record set with <c>AddPatientRecordSource&lt;T&gt;()</c>; they are resolved per scope, so a source
/// may take the scoped <c>DbContext</c> in its constructor.
/// </summary>
/// <remarks>
/// The export calls <see cref="ReadAsync"/> under an <c>AccessContext</c> of the requester with purpose <c>PATRQT</c> and the
/// patient as its only <c>PatientScope</c>, so every row the source reads is audited and decided by EF Core as usual.
/// Return every record of the patient, psychotherapy notes included: the export decides each one again and lists what it
/// withholds, and it fails — exporting nothing — when a source returns a record of another patient.
/// </remarks>
/// <example>
/// <code>
/// internal sealed class ProgressNoteSource(ClinicDb db) : IPatientRecordSource
/// {
///     public async IAsyncEnumerable&lt;PatientRecord&gt; ReadAsync(string patientId, [EnumeratorCancellation] CancellationToken cancellationToken)
///     {
///         var id = Guid.Parse(patientId);
///         await foreach (var note in db.Notes.Where(n =&gt; n.PatientId == id).AsNoTracking().AsAsyncEnumerable().WithCancellation(cancellationToken))
///         {
///             yield return PatientRecord.From(note, n =&gt; new Observation { Id = n.Id.ToString(), Subject = new ResourceReference("Patient/" + patientId), … });
///         }
///     }
/// }
/// </code>
/// </example>
public interface IPatientRecordSource
{
    /// <summary>Reads the patient's records of this source.</summary>
    /// <param name="patientId">The patient whose records are exported, exactly as the export was asked for.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Each record with its FHIR mapping (<see cref="PatientRecord.From{TEntity}"/>).</returns>
    IAsyncEnumerable<PatientRecord> ReadAsync(string patientId, CancellationToken cancellationToken);
}
