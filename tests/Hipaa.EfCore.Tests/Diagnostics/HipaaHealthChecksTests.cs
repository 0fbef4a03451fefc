using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;

namespace Hipaa.EfCore.Tests.Diagnostics;

/// <summary>The health checks report the KEK, the audit store and how far sealing lags, each as it is.</summary>
public sealed class HipaaHealthChecksTests : IDisposable
{
    private static readonly CountingKeyEncryptionKey Kek = new("kek-health");
    private readonly TestDatabase _database = TestDatabase.Create("sqlite");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task CheckHealth_EverythingReachableAndSealed_IsHealthy()
    {
        await using var services = Build(Kek, createTables: true);

        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal(["hipaa-audit-sealing", "hipaa-audit-store", "hipaa-kek"], report.Entries.Keys.Order(StringComparer.Ordinal));
        Assert.All(report.Entries.Values, e => Assert.Contains(HipaaHealthChecksBuilderExtensions.Tag, e.Tags));
    }

    [Fact]
    public async Task CheckHealth_UnsealedRecordOlderThanTheThresholds_IsDegradedThenUnhealthy()
    {
        await using var services = Build(Kek, createTables: true);
        var runtime = services.GetRequiredService<Hipaa.EfCore.Auditing.AuditRuntime>();
        runtime.Writer.Append([runtime.NewEntry(AuditHost.Therapist(), Hipaa.Auditing.AuditAction.Read, "Note", "p-1")]);
        var checks = services.GetRequiredService<HealthCheckService>();

        _time.Advance(TimeSpan.FromSeconds(30));
        var fresh = await checks.CheckHealthAsync(r => r.Name == "hipaa-audit-sealing");
        _time.Advance(TimeSpan.FromMinutes(2));
        var lagging = await checks.CheckHealthAsync(r => r.Name == "hipaa-audit-sealing");
        _time.Advance(TimeSpan.FromMinutes(4));
        var stuck = await checks.CheckHealthAsync(r => r.Name == "hipaa-audit-sealing");
        await runtime.Sealing!.SealAllAsync(CancellationToken.None);
        var sealedAgain = await checks.CheckHealthAsync(r => r.Name == "hipaa-audit-sealing");

        Assert.Equal(HealthStatus.Healthy, fresh.Status);
        Assert.Equal(HealthStatus.Degraded, lagging.Status);
        Assert.Equal(HealthStatus.Unhealthy, stuck.Status);
        Assert.Contains("s old", stuck.Entries["hipaa-audit-sealing"].Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, sealedAgain.Status);
    }

    [Fact]
    public async Task CheckHealth_AuditTablesMissingAndKekFailing_ReportsBothUnhealthy()
    {
        await using var services = Build(new FailingKek(), createTables: false);

        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Unhealthy, report.Entries["hipaa-kek"].Status);
        Assert.Contains("'kek-failing' could not wrap", report.Entries["hipaa-kek"].Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Unhealthy, report.Entries["hipaa-audit-store"].Status);
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
    }

    [Fact]
    public void AddHipaaHealthChecks_NoSafeguardRegistered_Throws()
    {
        var services = new ServiceCollection();

        var failure = Assert.Throws<InvalidOperationException>(() => services.AddHealthChecks().AddHipaaHealthChecks());

        Assert.Contains("after services.AddHipaa()", failure.Message, StringComparison.Ordinal);
    }

    private ServiceProvider Build(IKeyEncryptionKey kek, bool createTables)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddHipaa()
            .AddFieldEncryption()
            .UseKeyEncryptionKey(_ => kek, KeyWrapAlgorithm.AesGcmKeyWrap256)
            .UseKeyStore(_database.UseForKeys)
            .AddQueryAuditing(o => o.SealInterval = TimeSpan.FromMinutes(10))
            .UseAuditStore(_database.Use)
            .UseLocalDevelopmentCheckpointSigner(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath);
        services.AddDbContextFactory<ClinicDb>((sp, options) => _database.Use(options.UseHipaa(sp)));
        services.AddLogging();
        // Thresholds below the sealing interval (10 minutes), so that the loop (on the same fake clock) does not seal first.
        services.AddHealthChecks().AddHipaaHealthChecks(o =>
        {
            o.SealingLagDegraded = TimeSpan.FromMinutes(1);
            o.SealingLagUnhealthy = TimeSpan.FromMinutes(5);
        });
        var provider = services.BuildServiceProvider();
        if (createTables)
        {
            using var context = provider.GetRequiredService<IDbContextFactory<ClinicDb>>().CreateDbContext();
            context.Database.EnsureCreated();
        }

        return provider;
    }

    private sealed class FailingKek : IKeyEncryptionKey
    {
        public string KeyId => "kek-failing";

        public byte[] WrapKey(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) => throw new KeyServiceUnavailableException("down");

        public Task<byte[]> WrapKeyAsync(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) => throw new KeyServiceUnavailableException("down");

        public byte[] UnwrapKey(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default) => throw new KeyServiceUnavailableException("down");

        public Task<byte[]> UnwrapKeyAsync(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default) => throw new KeyServiceUnavailableException("down");
    }
}
