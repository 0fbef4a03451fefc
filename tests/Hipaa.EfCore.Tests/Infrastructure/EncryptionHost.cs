using Hipaa.EfCore.Encryption;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hipaa.EfCore.Tests.Infrastructure;

/// <summary>One application instance: its own DI container, key cache and KEK, over a shared test database.</summary>
public sealed class EncryptionHost : IDisposable
{
    private readonly ServiceProvider _services;

    public EncryptionHost(
        TestDatabase database,
        IKeyEncryptionKey kek,
        Action<FieldEncryptionOptions>? configure = null,
        TimeProvider? time = null,
        IKeyEncryptionKeyResolver? resolver = null,
        string algorithm = KeyWrapAlgorithm.AesGcmKeyWrap256,
        CapturingLoggerProvider? logs = null,
        bool interleaving = false)
    {
        var services = new ServiceCollection();
        if (logs is not null)
        {
            // The application's logging at its most verbose: EF Core logs through it too (Debug: query compilation).
            services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        }

        if (time is not null)
        {
            services.AddSingleton(time);
        }

        var hipaa = services.AddHipaa()
            .AddFieldEncryption(configure ?? (_ => { }))
            .UseKeyEncryptionKey(_ => kek, algorithm)
            .UseKeyStore(database.Use);
        if (resolver is not null)
        {
            hipaa.UseKeyEncryptionKeyResolver(_ => resolver);
        }

        services.AddDbContextFactory<ArchiveDb>((sp, options) => database.UseArchive(options.UseHipaa(sp)));
        services.AddDbContextFactory<ClinicDb>((sp, options) =>
        {
            database.Use(options.UseHipaa(sp));
            if (interleaving)
            {
                options.AddInterceptors(InterleavingInterceptor.Instance);
            }
        });
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        using var context = CreateContext();
        context.Database.EnsureCreated();
    }

    public FieldEncryptionKeyManager Keys => _services.GetRequiredService<FieldEncryptionKeyManager>();

    public ClinicDb CreateContext() => _services.GetRequiredService<IDbContextFactory<ClinicDb>>().CreateDbContext();

    /// <summary>A context of <see cref="ArchiveDb"/> (notes in schema <c>archive</c>) in this instance: same keys, same options.</summary>
    public ArchiveDb CreateArchiveContext() => _services.GetRequiredService<IDbContextFactory<ArchiveDb>>().CreateDbContext();

    /// <summary>This instance's field encryption (key ring and models), for tests that write values as older versions did.</summary>
    internal FieldEncryptionRuntime Runtime => _services.GetRequiredService<FieldEncryptionRuntime>();

    public void Dispose() => _services.Dispose();
}

/// <summary>Resolves KEKs by id from a fixed set, as a KMS client would.</summary>
public sealed class FixedKeyResolver(params IKeyEncryptionKey[] keys) : IKeyEncryptionKeyResolver
{
    public IKeyEncryptionKey Resolve(string keyId, CancellationToken cancellationToken = default) =>
        keys.FirstOrDefault(k => k.KeyId == keyId) ?? throw new KeyNotFoundException($"No key '{keyId}'.");

    public Task<IKeyEncryptionKey> ResolveAsync(string keyId, CancellationToken cancellationToken = default) =>
        Task.FromResult(Resolve(keyId, cancellationToken));
}
