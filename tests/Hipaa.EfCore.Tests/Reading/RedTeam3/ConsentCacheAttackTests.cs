using Hipaa.Auditing;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Hipaa.EfCore.Tests.Reading.RedTeam3;

/// <summary>
/// Consents are cached per context for at most <see cref="PolicyEnforcementOptions.ConsentCacheLifetime"/>, and "a new
/// context (one per request) always loads from the store". A pooled context (<c>AddDbContextPool</c>,
/// <c>AddPooledDbContextFactory</c>) is the same instance for the next request: it kept the previous request's consents,
/// so a psychotherapy authorization revoked between two requests still opened the note to the next one.
/// </summary>
public abstract class ConsentCacheAttackTests(string provider) : WardFixture(provider)
{
    private static readonly DateTimeOffset Signed = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A clock that does not move: both requests fall well within the cache lifetime, whatever the machine's speed.</summary>
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.Zero));

    /// <summary>A psychiatrist treating the child, who did not write the child's psychotherapy note.</summary>
    private static AccessContext Psychiatrist => new(new Actor("u-psy-3", [WellKnownRoles.Psychiatrist], "practice", [Child.ToString()]), PurposeOfUse.Treatment);

    [Fact]
    public async Task PooledContext_RentedForTheNextRequest_LoadsConsentsAgain_SoARevocationBetweenRequestsCounts()
    {
        var store = new RevocableConsentStore(new Consent(
            "c-psy-1", Child.ToString(), ConsentKind.PsychotherapyAuthorization, ["practice"], [PurposeOfUse.Treatment], [DataCategory.PsychotherapyNote], Signed));
        using var host = new WardHost(Database, _ => { }, s => s.AddSingleton<IConsentStore>(store).AddSingleton<TimeProvider>(_time), pooled: true);

        Assert.Equal("process canary", await ReadNoteAsync(host)); // the authorization opens it
        store.RevokeAll(_time.GetUtcNow().AddMinutes(-1));

        Assert.Equal(string.Empty, await ReadNoteAsync(host)); // the next request, on the same pooled instance
    }

    [Fact]
    public async Task PooledContext_SecondRequest_IsTheSameInstance_SoTheTestAboveExercisesThePool()
    {
        using var host = new WardHost(Database, _ => { }, pooled: true);
        WardDb first;
        await using (var context = host.CreateContext())
        {
            first = context;
        }

        await using var second = host.CreateContext();
        Assert.Same(first, second);
    }

    private static async Task<string> ReadNoteAsync(WardHost host)
    {
        using (AccessContext.Begin(Psychiatrist))
        await using (var context = host.CreateContext())
        {
            return (await context.ProcessNotes.AsNoTracking().SingleAsync()).Text;
        }
    }

    /// <summary>A consent store in memory whose consents can be revoked.</summary>
    private sealed class RevocableConsentStore(params Consent[] consents) : IConsentStore
    {
        private Consent[] _consents = consents;

        public void RevokeAll(DateTimeOffset at) => _consents = [.. _consents.Select(c => c.Revoke(at))];

        public Task<IReadOnlyList<Consent>> ListAsync(string patientId, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<Consent>>([.. _consents.Where(c => c.PatientId == patientId)]);

        public Task RecordAsync(Consent consent, string recordedBy, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<Consent> RevokeAsync(string patientId, string consentId, DateTimeOffset revokedAt, string revokedBy, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<ConsentChange>> GetHistoryAsync(string patientId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}

public sealed class SqliteConsentCacheAttackTests() : ConsentCacheAttackTests("sqlite");

public sealed class PostgresConsentCacheAttackTests() : ConsentCacheAttackTests("postgres");
