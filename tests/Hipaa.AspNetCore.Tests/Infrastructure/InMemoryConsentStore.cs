using System.Collections.Concurrent;
using Hipaa.Policy;

namespace Hipaa.AspNetCore.Tests.Infrastructure;

/// <summary>A consent store in memory, enough to show that the resource handler hands the patient's consents to the engine.</summary>
public sealed class InMemoryConsentStore : IConsentStore
{
    private readonly ConcurrentDictionary<(string Patient, string Id), Consent> _consents = new();

    public int ListCalls;

    public Task RecordAsync(Consent consent, string recordedBy, CancellationToken cancellationToken = default)
    {
        if (!_consents.TryAdd((consent.PatientId, consent.Id), consent))
        {
            throw new InvalidOperationException("Duplicate consent id.");
        }

        return Task.CompletedTask;
    }

    public Task<Consent> RevokeAsync(string patientId, string consentId, DateTimeOffset revokedAt, string revokedBy, CancellationToken cancellationToken = default)
    {
        Consent revoked = _consents[(patientId, consentId)].Revoke(revokedAt);
        _consents[(patientId, consentId)] = revoked;
        return Task.FromResult(revoked);
    }

    public Task<IReadOnlyList<Consent>> ListAsync(string patientId, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref ListCalls);
        return Task.FromResult<IReadOnlyList<Consent>>([.. _consents.Values.Where(c => c.PatientId == patientId)]);
    }

    public Task<IReadOnlyList<ConsentChange>> GetHistoryAsync(string patientId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ConsentChange>>([]);
}
