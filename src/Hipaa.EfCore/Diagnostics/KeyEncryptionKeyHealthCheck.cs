using System.Security.Cryptography;
using Hipaa.EfCore.Encryption;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hipaa.EfCore.Diagnostics;

/// <summary>Healthy when the key-encryption key wraps and unwraps a random probe key back to the same bytes.</summary>
internal sealed class KeyEncryptionKeyHealthCheck(IServiceProvider services) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        KeyEncryptionKeyRegistration? kek;
        try
        {
            kek = services.GetService<KeyEncryptionKeyRegistration>();
        }
        catch (InvalidOperationException failure)
        {
            return HealthCheckResult.Unhealthy(failure.Message);
        }

        if (kek is null)
        {
            return HealthCheckResult.Unhealthy("Field encryption has no key-encryption key: call UseKeyEncryptionKey(...).");
        }

        var probe = RandomNumberGenerator.GetBytes(32);
        try
        {
            var wrapped = await kek.Key.WrapKeyAsync(kek.KeyWrapAlgorithm, probe, cancellationToken).ConfigureAwait(false);
            var unwrapped = await kek.Key.UnwrapKeyAsync(kek.KeyWrapAlgorithm, wrapped, cancellationToken).ConfigureAwait(false);
            return CryptographicOperations.FixedTimeEquals(probe, unwrapped)
                ? HealthCheckResult.Healthy($"The key-encryption key '{kek.Key.KeyId}' wrapped and unwrapped a probe key.")
                : HealthCheckResult.Unhealthy($"The key-encryption key '{kek.Key.KeyId}' unwrapped a probe key to different bytes.");
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"The key-encryption key '{kek.Key.KeyId}' could not wrap and unwrap a probe key: {failure.GetType().Name}.", failure);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(probe);
        }
    }
}
