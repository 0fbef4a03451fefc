using Hipaa.Auditing;
using Hipaa.EfCore.Enforcement;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Hipaa.EfCore.Tests.Enforcement;

/// <summary>
/// A context reuses a patient's consents for at most <see cref="PolicyEnforcementOptions.ConsentCacheLifetime"/>: a consent
/// revoked while a long-lived context serves decisions stops counting within that bound.
/// </summary>
public sealed class ConsentCacheLifetimeTests : IDisposable
{
    private readonly TestDatabase _database = TestDatabase.Create("sqlite");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));
    private readonly CountingConsentStore _store = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public void Decide_WithinTheLifetime_LoadsThePatientsConsentsOncePerContext()
    {
        using var host = new AuditHost(_database);
        using var context = host.CreateContext();
        var runtime = Runtime(TimeSpan.FromSeconds(10));

        for (var i = 0; i < 3; i++)
        {
            Decide(runtime, context);
            _time.Advance(TimeSpan.FromSeconds(3));
        }

        Assert.Equal(1, _store.Loads);
    }

    [Fact]
    public void Decide_AfterTheLifetime_LoadsTheConsentsAgain_SoARevocationCounts()
    {
        using var host = new AuditHost(_database);
        using var context = host.CreateContext();
        var runtime = Runtime(TimeSpan.FromSeconds(10));

        Decide(runtime, context);
        _time.Advance(TimeSpan.FromSeconds(10));
        Decide(runtime, context);

        Assert.Equal(2, _store.Loads);
    }

    [Fact]
    public void Decide_LifetimeZero_LoadsTheConsentsForEveryDecision()
    {
        using var host = new AuditHost(_database);
        using var context = host.CreateContext();
        var runtime = Runtime(TimeSpan.Zero);

        Decide(runtime, context);
        Decide(runtime, context);

        Assert.Equal(2, _store.Loads);
    }

    [Fact]
    public void Decide_AnotherContext_LoadsItsOwnCopy()
    {
        using var host = new AuditHost(_database);
        using var first = host.CreateContext();
        using var second = host.CreateContext();
        var runtime = Runtime(TimeSpan.FromMinutes(5));

        Decide(runtime, first);
        Decide(runtime, second);

        Assert.Equal(2, _store.Loads);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(301)]
    public void Options_LifetimeOutOfRange_FailStartUpWithTheBoundNamed(int seconds)
    {
        var result = new PolicyEnforcementOptionsValidator().Validate(null, new PolicyEnforcementOptions { ConsentCacheLifetime = TimeSpan.FromSeconds(seconds) });

        Assert.True(result.Failed);
        Assert.Contains("ConsentCacheLifetime", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("revoked consent", result.FailureMessage, StringComparison.Ordinal);
    }

    private PolicyEnforcementRuntime Runtime(TimeSpan lifetime) =>
        new(PolicyEngine.Default, new PolicyEnforcementOptions { ConsentCacheLifetime = lifetime }, _store, _time);

    private static void Decide(PolicyEnforcementRuntime runtime, DbContext context)
    {
        var model = HipaaAnnotations.PhiModel(context.Model.FindEntityType(typeof(Note))!)!;
        var access = AuditHost.Therapist("u-ther-1", CountingConsentStore.Patient);
        runtime.Decide(context, access, model, CountingConsentStore.Patient, authorId: null, PhiAction.Read);
    }

    private sealed class CountingConsentStore : IConsentStore
    {
        public const string Patient = "0196a000-0000-7000-8000-0000000000aa";

        public int Loads { get; private set; }

        public Task<IReadOnlyList<Consent>> ListAsync(string patientId, CancellationToken cancellationToken = default)
        {
            Loads++;
            return Task.FromResult<IReadOnlyList<Consent>>([]);
        }

        public Task RecordAsync(Consent consent, string recordedBy, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<Consent> RevokeAsync(string patientId, string consentId, DateTimeOffset revokedAt, string revokedBy, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<ConsentChange>> GetHistoryAsync(string patientId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
