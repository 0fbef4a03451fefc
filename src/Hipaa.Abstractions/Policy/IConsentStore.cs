namespace Hipaa.Policy;

/// <summary>
/// Where a practice keeps its patients' consents and authorizations. Nothing is ever deleted: revocation is a new
/// entry in the history, and the engine is handed every consent (<see cref="ListAsync"/>) to check each against the
/// time of the request.
/// </summary>
public interface IConsentStore
{
    /// <summary>Records a new consent or authorization.</summary>
    /// <param name="consent">The consent; its id must be new for the patient.</param>
    /// <param name="recordedBy">The unique user id of whoever records it.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the consent is durably stored.</returns>
    /// <exception cref="InvalidOperationException">The patient already has a consent with this id.</exception>
    Task RecordAsync(Consent consent, string recordedBy, CancellationToken cancellationToken = default);

    /// <summary>Revokes a consent from <paramref name="revokedAt"/> on; earlier uses stay lawful.</summary>
    /// <param name="patientId">The patient.</param>
    /// <param name="consentId">The consent's id.</param>
    /// <param name="revokedAt">When the revocation takes effect.</param>
    /// <param name="revokedBy">The unique user id of whoever records the revocation.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The revoked consent.</returns>
    /// <exception cref="InvalidOperationException">No such consent, or it is already revoked.</exception>
    Task<Consent> RevokeAsync(
        string patientId,
        string consentId,
        DateTimeOffset revokedAt,
        string revokedBy,
        CancellationToken cancellationToken = default);

    /// <summary>Lists the current state of every consent of a patient, including expired and revoked ones.</summary>
    /// <param name="patientId">The patient.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The patient's consents, in no particular order.</returns>
    Task<IReadOnlyList<Consent>> ListAsync(string patientId, CancellationToken cancellationToken = default);

    /// <summary>Lists every change to a patient's consents, oldest first.</summary>
    /// <param name="patientId">The patient.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The history.</returns>
    Task<IReadOnlyList<ConsentChange>> GetHistoryAsync(string patientId, CancellationToken cancellationToken = default);
}
