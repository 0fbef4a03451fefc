using System.Security.Cryptography;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Policy;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipaa.EfCore.Diagnostics;

/// <summary>
/// Checks, before the host starts anything else (<see cref="IHostedLifecycleService.StartingAsync"/>), that every
/// safeguard registered is complete and can reach what it needs: the key-encryption key wraps and unwraps a probe, the key
/// store and consent tables exist (created as on first use), the audit tables exist and the checkpoint signer signs. Any
/// problem fails start-up with one exception that lists them all, each naming the call or command that fixes it, instead of
/// the first PHI request failing.
/// </summary>
internal sealed partial class HipaaStartupValidator(IServiceProvider services) : IHostedLifecycleService
{
    /// <inheritdoc />
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        using var activity = EfCoreTelemetry.ActivitySource.StartActivity("hipaa.startup.checks");
        var problems = await CheckAsync(services, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("hipaa.problems", problems.Count);
        activity?.SetStatus(problems.Count == 0 ? System.Diagnostics.ActivityStatusCode.Ok : System.Diagnostics.ActivityStatusCode.Error);
        ILogger logger = services.GetService<ILoggerFactory>()?.CreateLogger("Hipaa.Startup") ?? NullLogger.Instance;
        if (problems.Count > 0)
        {
            LogStartupChecksFailed(logger, problems.Count);
            throw new InvalidOperationException(Describe(problems));
        }

        LogStartupChecksPassed(logger);
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The message of a failed start-up: one numbered line per problem.</summary>
    public static string Describe(IReadOnlyList<string> problems) =>
        $"Hipaa.Sdk's start-up checks found {problems.Count} problem(s); the application does not start until they are fixed:"
        + string.Concat(problems.Select((p, i) => $"{Environment.NewLine}  {i + 1}. {p}"));

    /// <summary>Runs every check that applies to what is registered in <paramref name="services"/>; returns the problems found.</summary>
    public static async Task<IReadOnlyList<string>> CheckAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var registered = services.GetService<IServiceProviderIsService>();
        bool Has(Type type) => registered?.IsService(type) ?? services.GetService(type) is not null;

        if (Has(typeof(FieldEncryptionRuntime)))
        {
            await CheckFieldEncryptionAsync(services, problems, cancellationToken).ConfigureAwait(false);
        }

        if (Has(typeof(AuditRuntime)))
        {
            await CheckAuditingAsync(services, problems, cancellationToken).ConfigureAwait(false);
        }

        if (Has(typeof(ConsentStoreRegistration)))
        {
            await CheckConsentStoreAsync(services, problems, cancellationToken).ConfigureAwait(false);
        }

        return problems;
    }

    private static async Task CheckFieldEncryptionAsync(IServiceProvider services, List<string> problems, CancellationToken cancellationToken)
    {
        FieldEncryptionRuntime runtime;
        KeyEncryptionKeyRegistration kek;
        try
        {
            runtime = services.GetRequiredService<FieldEncryptionRuntime>();
            kek = services.GetRequiredService<KeyEncryptionKeyRegistration>();
        }
        catch (Exception failure) when (failure is InvalidOperationException or Microsoft.Extensions.Options.OptionsValidationException)
        {
            problems.Add(failure.Message);
            return;
        }

        var probe = RandomNumberGenerator.GetBytes(32);
        try
        {
            var wrapped = await kek.Key.WrapKeyAsync(kek.KeyWrapAlgorithm, probe, cancellationToken).ConfigureAwait(false);
            var unwrapped = await kek.Key.UnwrapKeyAsync(kek.KeyWrapAlgorithm, wrapped, cancellationToken).ConfigureAwait(false);
            if (!CryptographicOperations.FixedTimeEquals(probe, unwrapped))
            {
                problems.Add($"The key-encryption key '{kek.Key.KeyId}' unwrapped a probe key to different bytes ({kek.KeyWrapAlgorithm}); check that UseKeyEncryptionKey(...) names the key and algorithm the KMS or HSM holds (docs/key-providers.md).");
            }
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            problems.Add($"The key-encryption key '{kek.Key.KeyId}' could not wrap and unwrap a probe key ({kek.KeyWrapAlgorithm}): {failure.GetType().Name}: {failure.Message} Check that the KMS or HSM is reachable and that this application may use the key (docs/key-providers.md).");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(probe);
        }

        if (runtime.KeyStoreOptions is { } keyStore)
        {
            try
            {
                await new EfDataKeyStore(keyStore).EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception failure) when (failure is not OperationCanceledException)
            {
                problems.Add($"The key store (UseKeyStore(...)) is unreachable, or its table hipaa_keys could not be created there: {failure.GetType().Name}: {failure.Message} Check the connection string, and that the database user may create the table on first start (or create it once with a user that may).");
            }
        }
    }

    private static async Task CheckAuditingAsync(IServiceProvider services, List<string> problems, CancellationToken cancellationToken)
    {
        AuditRuntime runtime;
        Hipaa.Auditing.IAuditCheckpointSigner signer;
        try
        {
            runtime = services.GetRequiredService<AuditRuntime>();
            signer = services.GetRequiredService<Hipaa.Auditing.IAuditCheckpointSigner>();
        }
        catch (Exception failure) when (failure is InvalidOperationException or Microsoft.Extensions.Options.OptionsValidationException)
        {
            problems.Add(failure.Message);
            return;
        }

        var store = new AuditDbContext(runtime.StoreOptions);
        await using (store.ConfigureAwait(false))
        {
            var missing = new List<string>();
            Exception? lastFailure = null;
            foreach (var (table, probe) in new (string, Func<CancellationToken, Task<bool>>)[]
            {
                (AuditModel.AuditTable, ct => store.Entries.AsNoTracking().AnyAsync(ct)),
                (AuditModel.CheckpointTable, ct => store.Checkpoints.AsNoTracking().AnyAsync(ct)),
                (AuditModel.PatientIndexTable, ct => store.PatientIndex.AsNoTracking().AnyAsync(ct)),
            })
            {
                try
                {
                    _ = await probe(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception failure) when (failure is not OperationCanceledException)
                {
                    missing.Add(table);
                    lastFailure = failure;
                }
            }

            if (lastFailure is not null)
            {
                var canConnect = await CanConnectAsync(store, cancellationToken).ConfigureAwait(false);
                problems.Add(canConnect
                    ? $"The audit store's database has no usable {string.Join(", ", missing)} ({lastFailure.GetType().Name}: {lastFailure.Message}). UseHipaa(sp) adds the audit tables to the application's model: add a migration and apply it (dotnet ef migrations add AddHipaaAuditTables, then dotnet ef database update, or context.Database.MigrateAsync() at start-up), or call context.Database.EnsureCreatedAsync() for a database without migrations."
                    : $"The audit store (UseAuditStore(...)) is unreachable: {lastFailure.GetType().Name}: {lastFailure.Message} Check its connection string and that the database is up; PHI reads and writes fail closed until it is.");
            }
        }

        try
        {
            var signature = await signer.SignAsync(new byte[32], cancellationToken).ConfigureAwait(false);
            if (signature.Length == 0)
            {
                problems.Add($"The audit checkpoint signer '{signer.KeyId}' returned an empty signature for a probe; check UseAuditCheckpointSigner(...).");
            }
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            problems.Add($"The audit checkpoint signer '{signer.KeyId}' could not sign a probe: {failure.GetType().Name}: {failure.Message} Check that the HSM or KMS signing key of UseAuditCheckpointSigner(...) is reachable (docs/audit.md, \"Checkpoints\").");
        }
    }

    private static async Task CheckConsentStoreAsync(IServiceProvider services, List<string> problems, CancellationToken cancellationToken)
    {
        IConsentStore? store;
        try
        {
            store = services.GetService<IConsentStore>();
        }
        catch (InvalidOperationException failure)
        {
            problems.Add(failure.Message);
            return;
        }

        if (store is EfConsentStore consents)
        {
            try
            {
                await consents.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception failure) when (failure is not OperationCanceledException)
            {
                problems.Add($"The consent store (UseConsentStore(...)) is unreachable, or its tables hipaa_consents and hipaa_consent_history could not be created or read there: {failure.GetType().Name}: {failure.Message} Check the connection string and that the database user may create the tables on first start (docs/aspnetcore.md, \"The consent store\").");
            }
        }
    }

    private static async Task<bool> CanConnectAsync(DbContext context, CancellationToken cancellationToken)
    {
        try
        {
            return await context.Database.CanConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 5001, EventName = "HipaaStartupChecksPassed", Level = LogLevel.Information, Message = "Hipaa.Sdk's start-up checks passed (key-encryption key, key store, audit tables, checkpoint signer and consent store, as registered).")]
    private static partial void LogStartupChecksPassed(ILogger logger);

    [LoggerMessage(EventId = 5002, EventName = "HipaaStartupChecksFailed", Level = LogLevel.Critical, Message = "Hipaa.Sdk's start-up checks found {Count} problem(s); the application will not start. The exception lists them.")]
    private static partial void LogStartupChecksFailed(ILogger logger, int count);
}
