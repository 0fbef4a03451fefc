using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Enforcement;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.Tests.Enforcement;

/// <summary>
/// An async query's consents are loaded without blocking a thread before its rows are decided, for the patients it is
/// known to be about: the access context's patient scope (the route's patient) and the patients an aggregate is pinned to.
/// Only what no async query announced is loaded synchronously by the read hook.
/// </summary>
public abstract class ConsentPreloadTests : IDisposable
{
    private readonly TestDatabase _database;
    private readonly Guid _patient = Guid.NewGuid();
    private readonly Guid _other = Guid.NewGuid();
    private readonly AsyncOnlyConsentStore _store = new();

    protected ConsentPreloadTests(string provider)
    {
        _database = TestDatabase.Create(provider);
        using var seed = new AuditHost(_database);
        using var scope = AccessContext.Begin(AccessContext.ForSystem("seed", PurposeOfUse.Operations));
        using var context = seed.CreateContext();
        foreach (var id in new[] { _patient, _other })
        {
            context.Add(new Patient { Id = id, DisplayName = "P" });
            context.Add(new Note { Id = Guid.NewGuid(), PatientId = id, Title = "Session", Text = "progress", WrittenAt = DateTime.UnixEpoch, SignedAt = DateTimeOffset.UnixEpoch });
        }

        context.SaveChanges();
    }

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task AsyncQuery_ForThePatientInScope_LoadsTheConsentsAsynchronouslyOnce_AndNeverBlocks()
    {
        using var host = Enforcing();
        var runtime = host.Services.GetRequiredService<PolicyEnforcementRuntime>();
        using (AccessContext.Begin(Scoped(_patient.ToString().ToUpperInvariant())))
        await using (var context = host.CreateContext())
        {
            Assert.Equal("progress", (await context.Notes.SingleAsync(n => n.PatientId == _patient)).Text);
            Assert.Single(await context.Notes.Where(n => n.PatientId == _patient).ToListAsync());
        }

        Assert.Equal((1, 0), (_store.Loads, runtime.SynchronousConsentLoads));
    }

    [Fact]
    public async Task AsyncAggregate_PinnedToAPatient_PreloadsThatPatientsConsents()
    {
        using var host = Enforcing();
        var runtime = host.Services.GetRequiredService<PolicyEnforcementRuntime>();
        using (AccessContext.Begin(AuditHost.Therapist("u-ther-1", _patient.ToString())))
        await using (var context = host.CreateContext())
        {
            Assert.Equal(1, await context.Notes.CountAsync(n => n.PatientId == _patient));
        }

        Assert.Equal((1, 0), (_store.Loads, runtime.SynchronousConsentLoads));
    }

    [Fact]
    public async Task Query_OfAPatientNoAsyncQueryAnnounced_FallsBackToOneSynchronousLoad()
    {
        using var host = Enforcing();
        var runtime = host.Services.GetRequiredService<PolicyEnforcementRuntime>();
        using (AccessContext.Begin(AuditHost.Therapist("u-ther-1", _patient.ToString(), _other.ToString())))
        await using (var context = host.CreateContext())
        {
            Assert.Equal(2, (await context.Notes.ToListAsync()).Count(n => n.Text == "progress")); // no scope: nothing announced
            Assert.Equal(2, context.Notes.AsNoTracking().ToList().Count); // sync query, consents cached for the context
        }

        Assert.Equal((2, 2), (_store.Loads, runtime.SynchronousConsentLoads));
    }

    private static AccessContext Scoped(string patientId) =>
        new(new Actor("u-ther-1", [WellKnownRoles.Therapist], "practice", [patientId.ToLowerInvariant()]), PurposeOfUse.Treatment) { PatientScope = [patientId] };

    private AuditHost Enforcing() => new(_database, enforcement: _ => { }, services: s => s.AddSingleton<IConsentStore>(_store));

    /// <summary>A store whose loads complete asynchronously (as a database's do); it counts them.</summary>
    private sealed class AsyncOnlyConsentStore : IConsentStore
    {
        private int _loads;

        public int Loads => Volatile.Read(ref _loads);

        public async Task<IReadOnlyList<Consent>> ListAsync(string patientId, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            Interlocked.Increment(ref _loads);
            return [];
        }

        public Task RecordAsync(Consent consent, string recordedBy, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<Consent> RevokeAsync(string patientId, string consentId, DateTimeOffset revokedAt, string revokedBy, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<ConsentChange>> GetHistoryAsync(string patientId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}

public sealed class SqliteConsentPreloadTests() : ConsentPreloadTests("sqlite");

public sealed class PostgresConsentPreloadTests() : ConsentPreloadTests("postgres");
