using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hipaa.EfCore.Tests.Diagnostics;

/// <summary>
/// A host with Hipaa.Sdk refuses to start when a safeguard is incomplete or cannot reach what it needs, with a message
/// that names the fix, instead of the first PHI request failing.
/// </summary>
public sealed class HipaaStartupValidatorTests : IDisposable
{
    private static readonly CountingKeyEncryptionKey Kek = new("kek-startup");
    private readonly TestDatabase _database = TestDatabase.Create("sqlite");
    private readonly CapturingLoggerProvider _logs = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task StartAsync_AuditTablesMissing_FailsNamingTheMigrationCommands()
    {
        using IHost host = Build(Environments.Development, b => b
            .AddQueryAuditing()
            .UseAuditStore(_database.Use)
            .UseLocalDevelopmentCheckpointSigner(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath));

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("1 problem(s)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("hipaa_audit", failure.Message, StringComparison.Ordinal);
        Assert.Contains("dotnet ef migrations add", failure.Message, StringComparison.Ordinal);
        Assert.Contains("dotnet ef database update", failure.Message, StringComparison.Ordinal);
        Assert.Contains(_logs.Entries, e => e.EventId.Id == 5002 && e.Level == LogLevel.Critical);
    }

    [Fact]
    public async Task StartAsync_NoKeyEncryptionKeyAndNoSigner_ListsBothProblemsWithTheCallsThatFixThem()
    {
        using IHost host = Build(Environments.Development, b => b
            .AddFieldEncryption()
            .UseKeyStore(_database.UseForKeys)
            .AddQueryAuditing()
            .UseAuditStore(_database.Use));

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("2 problem(s)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("UseKeyEncryptionKey(", failure.Message, StringComparison.Ordinal);
        Assert.Contains("UseAuditCheckpointSigner(", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_KeyEncryptionKeyFails_FailsNamingTheKey()
    {
        using IHost host = Build(Environments.Development, b => b
            .AddFieldEncryption()
            .UseKeyEncryptionKey(_ => new UnreachableKeyEncryptionKey(), KeyWrapAlgorithm.AesGcmKeyWrap256)
            .UseKeyStore(_database.UseForKeys));

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("'kek-unreachable' could not wrap and unwrap a probe key", failure.Message, StringComparison.Ordinal);
        Assert.Contains("docs/key-providers.md", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_EverythingRegisteredAndTablesCreated_StartsAndCreatesTheKeyTable()
    {
        using IHost host = Build(Environments.Development, b => b
            .AddFieldEncryption()
            .UseKeyEncryptionKey(_ => Kek, KeyWrapAlgorithm.AesGcmKeyWrap256)
            .UseKeyStore(_database.UseForKeys)
            .AddQueryAuditing(o => o.SealInterval = TimeSpan.FromMinutes(10))
            .UseAuditStore(_database.Use)
            .UseLocalDevelopmentCheckpointSigner(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath));
        await using (var scope = host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<IDbContextFactory<ClinicDb>>().CreateDbContext().Database.EnsureCreatedAsync();
        }

        await host.StartAsync();
        await host.StopAsync();

        Assert.Contains(_logs.Entries, e => e.EventId.Id == 5001);
        var keyStore = new DbContextOptionsBuilder<Hipaa.EfCore.Encryption.KeyStoreDbContext>();
        _database.UseForKeys(keyStore);
        using var keys = new Hipaa.EfCore.Encryption.KeyStoreDbContext(keyStore.Options);
        Assert.Equal(0, await keys.Keys.CountAsync());
    }

    [Fact]
    public async Task StartAsync_LocalDevelopmentKeyInProduction_FailsNamingTheInsecureOption()
    {
        using IHost host = Build(Environments.Production, b => b
            .AddFieldEncryption()
            .UseLocalDevelopmentKey(Path.Combine(Path.GetTempPath(), "hipaa-tests", "startup-dev.kek"))
            .UseKeyStore(_database.UseForKeys));

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("UseLocalDevelopmentKey(path)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Production", failure.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(LocalDevelopmentKeyOptions.DangerouslyAllowInProduction), failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_LocalDevelopmentSignerInProduction_FailsNamingTheInsecureOption()
    {
        using IHost host = Build(Environments.Production, b => b
            .AddQueryAuditing()
            .UseAuditStore(_database.Use)
            .UseLocalDevelopmentCheckpointSigner(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath));

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("UseLocalDevelopmentCheckpointSigner(path)", failure.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(LocalDevelopmentKeyOptions.DangerouslyAllowInProduction), failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Production", true)]
    [InlineData("Development", false)]
    [InlineData("Staging", false)]
    public async Task StartAsync_LocalDevelopmentKeyAllowedOrNotProduction_Starts(string environment, bool dangerouslyAllow)
    {
        using IHost host = Build(environment, b => b
            .AddFieldEncryption()
            .UseLocalDevelopmentKey(Path.Combine(Path.GetTempPath(), "hipaa-tests", "startup-dev.kek"), o => o.DangerouslyAllowInProduction = dangerouslyAllow)
            .UseKeyStore(_database.UseForKeys));

        await host.StartAsync();
        await host.StopAsync();

        Assert.Contains(_logs.Entries, e => e.EventId.Id == 5001);
    }

    [Fact]
    public void LocalDevelopmentKey_WithoutAHost_IsNotRefused()
    {
        var services = new ServiceCollection();
        services.AddHipaa()
            .AddFieldEncryption()
            .UseLocalDevelopmentKey(Path.Combine(Path.GetTempPath(), "hipaa-tests", "startup-dev.kek"))
            .UseKeyStore(_database.UseForKeys);
        using var provider = services.BuildServiceProvider();

        Assert.NotNull(provider.GetRequiredService<Hipaa.EfCore.Encryption.FieldEncryptionRuntime>().KeyRing);
    }

    private IHost Build(string environment, Action<IHipaaBuilder> configure)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = environment });
        builder.Logging.AddProvider(_logs);
        configure(builder.Services.AddHipaa());
        builder.Services.AddDbContextFactory<ClinicDb>((sp, options) => _database.Use(options.UseHipaa(sp)));
        return builder.Build();
    }

    private sealed class UnreachableKeyEncryptionKey : IKeyEncryptionKey
    {
        public string KeyId => "kek-unreachable";

        public byte[] WrapKey(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) =>
            throw new KeyServiceUnavailableException("The test KMS is down.");

        public Task<byte[]> WrapKeyAsync(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) =>
            throw new KeyServiceUnavailableException("The test KMS is down.");

        public byte[] UnwrapKey(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default) =>
            throw new KeyServiceUnavailableException("The test KMS is down.");

        public Task<byte[]> UnwrapKeyAsync(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default) =>
            throw new KeyServiceUnavailableException("The test KMS is down.");
    }
}
