using Hipaa.EfCore.Auditing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hipaa.EfCore.Diagnostics;

/// <summary>Healthy when the audit store's tables can be read: PHI reads and writes fail closed while it is not.</summary>
internal sealed class AuditStoreHealthCheck(IServiceProvider services) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        AuditRuntime runtime;
        try
        {
            runtime = services.GetRequiredService<AuditRuntime>();
        }
        catch (InvalidOperationException failure)
        {
            return HealthCheckResult.Unhealthy(failure.Message);
        }

        var store = new AuditDbContext(runtime.StoreOptions);
        await using (store.ConfigureAwait(false))
        {
            try
            {
                _ = await store.Entries.AsNoTracking().AnyAsync(cancellationToken).ConfigureAwait(false);
                _ = await store.Checkpoints.AsNoTracking().AnyAsync(cancellationToken).ConfigureAwait(false);
                return HealthCheckResult.Healthy("The audit store is reachable.");
            }
            catch (Exception failure) when (failure is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy($"The audit store is unreachable or its tables are missing ({failure.GetType().Name}); PHI reads and writes fail closed.", failure);
            }
        }
    }
}
