using System.Globalization;
using Hipaa.Diagnostics;
using Hipaa.EfCore.Auditing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hipaa.EfCore.Diagnostics;

/// <summary>
/// Reports how far sealing lags: the age of the oldest audit record not yet sealed into the hash chain. Degraded past
/// <see cref="HipaaHealthCheckOptions.SealingLagDegraded"/>, Unhealthy past <see cref="HipaaHealthCheckOptions.SealingLagUnhealthy"/>.
/// </summary>
internal sealed class AuditSealingLagHealthCheck(IServiceProvider services, HipaaHealthCheckOptions options) : IHealthCheck
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

        DateTimeOffset? oldest;
        var store = new AuditDbContext(runtime.StoreOptions);
        await using (store.ConfigureAwait(false))
        {
            try
            {
                oldest = await store.Entries.AsNoTracking()
                    .Where(e => e.ChainPosition == null)
                    .OrderBy(e => e.Id)
                    .Select(e => (DateTimeOffset?)e.OccurredAt)
                    .FirstOrDefaultAsync(cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (Exception failure) when (failure is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy($"The unsealed audit records could not be read ({failure.GetType().Name}).", failure);
            }
        }

        var failures = runtime.Sealing?.ConsecutiveFailures ?? 0;
        var data = new Dictionary<string, object> { ["consecutiveSealFailures"] = failures };
        if (oldest is not { } since)
        {
            return HealthCheckResult.Healthy("Every audit record is sealed.", data);
        }

        var lag = runtime.Time.GetUtcNow() - since;
        data["lagSeconds"] = Math.Max(0, lag.TotalSeconds);
        var described = string.Create(CultureInfo.InvariantCulture, $"The oldest unsealed audit record is {lag.TotalSeconds:F0} s old ({failures} sealing round(s) failed in a row).");
        return lag >= options.SealingLagUnhealthy ? HealthCheckResult.Unhealthy(described, data: data)
            : lag >= options.SealingLagDegraded ? HealthCheckResult.Degraded(described, data: data)
            : HealthCheckResult.Healthy(described, data);
    }
}
