using Hipaa.EfCore.Policy;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Hipaa.EfCore.Tests.Policy;

/// <summary><c>UseConsentStore</c> registers the EF-backed store, replacing any other, and names what is missing.</summary>
public sealed class ConsentStoreHipaaBuilderExtensionsTests : IDisposable
{
    private static readonly CountingKeyEncryptionKey Kek = new("kek-consent-store");
    private readonly TestDatabase _database = TestDatabase.Create("sqlite");

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task UseConsentStore_RegistersTheEfStoreWithTheApplicationClock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton<IConsentStore, NoConsentStore>();
        services.AddHipaa()
            .AddFieldEncryption().UseKeyEncryptionKey(_ => Kek, KeyWrapAlgorithm.AesGcmKeyWrap256).UseKeyStore(_database.UseForKeys)
            .UseConsentStore(o => o.UseSqlite(_database.ConnectionString));
        await using ServiceProvider provider = services.BuildServiceProvider();

        IConsentStore store = provider.GetRequiredService<IConsentStore>();
        await store.RecordAsync(new Consent("c-1", "p1", ConsentKind.Part2Tpo, ["*"], [PurposeOfUse.Payment], [DataCategory.Claim], time.GetUtcNow()), "u-front");

        Assert.IsType<EfConsentStore>(store);
        Assert.Single(services, d => d.ServiceType == typeof(IConsentStore));
        Assert.Equal(time.GetUtcNow(), Assert.Single(await store.GetHistoryAsync("p1")).ChangedAt);
    }

    [Fact]
    public void UseConsentStore_WithoutFieldEncryption_FailsNamingTheFix()
    {
        var services = new ServiceCollection();
        services.AddHipaa().UseConsentStore(o => o.UseSqlite(_database.ConnectionString));
        using ServiceProvider provider = services.BuildServiceProvider();

        var exception = Assert.Throws<InvalidOperationException>(provider.GetRequiredService<IConsentStore>);

        Assert.Contains("AddFieldEncryption()", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseConsentStore_WithoutProvider_FailsNamingTheFix()
    {
        var services = new ServiceCollection();
        services.AddHipaa().UseConsentStore(_ => { });
        using ServiceProvider provider = services.BuildServiceProvider();

        var exception = Assert.Throws<InvalidOperationException>(provider.GetRequiredService<IConsentStore>);

        Assert.Contains("UseSqlite, UseNpgsql", exception.Message, StringComparison.Ordinal);
    }

    private sealed class NoConsentStore : IConsentStore
    {
        public Task RecordAsync(Consent consent, string recordedBy, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<Consent> RevokeAsync(string patientId, string consentId, DateTimeOffset revokedAt, string revokedBy, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<IReadOnlyList<Consent>> ListAsync(string patientId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<ConsentChange>> GetHistoryAsync(string patientId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
