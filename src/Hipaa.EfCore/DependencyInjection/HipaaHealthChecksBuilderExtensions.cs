using Hipaa.Diagnostics;
using Hipaa.EfCore.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Adds Hipaa.Sdk's health checks: <c>services.AddHealthChecks().AddHipaaHealthChecks()</c>, then
/// <c>app.MapHealthChecks("/health")</c>. Each check is tagged <c>hipaa</c>.
/// </summary>
public static class HipaaHealthChecksBuilderExtensions
{
    /// <summary>The tag of every Hipaa.Sdk health check.</summary>
    public const string Tag = "hipaa";

    /// <summary>
    /// Adds the checks of the safeguards registered on <paramref name="builder"/>'s services (call it after
    /// <c>AddHipaa()…</c>): <c>hipaa-kek</c> (the key-encryption key wraps and unwraps a probe) with field encryption,
    /// <c>hipaa-audit-store</c> (the audit tables can be read) and <c>hipaa-audit-sealing</c> (the oldest unsealed record's
    /// age) with access auditing.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <returns>The same builder.</returns>
    public static IHealthChecksBuilder AddHipaaHealthChecks(this IHealthChecksBuilder builder) => AddHipaaHealthChecks(builder, static _ => { });

    /// <inheritdoc cref="AddHipaaHealthChecks(IHealthChecksBuilder)"/>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configure">Sets the thresholds (<see cref="HipaaHealthCheckOptions"/>).</param>
    public static IHealthChecksBuilder AddHipaaHealthChecks(this IHealthChecksBuilder builder, Action<HipaaHealthCheckOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new HipaaHealthCheckOptions();
        configure(options);
        if (options.SealingLagDegraded <= TimeSpan.Zero || options.SealingLagUnhealthy < options.SealingLagDegraded)
        {
            throw new ArgumentException(
                $"HipaaHealthCheckOptions.SealingLagDegraded must be positive and SealingLagUnhealthy at least as long; they are {options.SealingLagDegraded} and {options.SealingLagUnhealthy}.",
                nameof(configure));
        }

        string[] tags = [Tag];
        bool Registered(Type type) => builder.Services.Any(d => d.ServiceType == type);
        if (!Registered(typeof(Hipaa.EfCore.Encryption.FieldEncryptionRuntime)) && !Registered(typeof(Hipaa.EfCore.Auditing.AuditRuntime)))
        {
            throw new InvalidOperationException(
                "AddHipaaHealthChecks() found neither field encryption nor access auditing registered, so it would check nothing: call it after services.AddHipaa().AddFieldEncryption(…)/.AddQueryAuditing(…).");
        }

        if (Registered(typeof(Hipaa.EfCore.Encryption.FieldEncryptionRuntime)))
        {
            builder.Add(new HealthCheckRegistration("hipaa-kek", sp => new KeyEncryptionKeyHealthCheck(sp), HealthStatus.Unhealthy, tags));
        }

        if (Registered(typeof(Hipaa.EfCore.Auditing.AuditRuntime)))
        {
            builder.Add(new HealthCheckRegistration("hipaa-audit-store", sp => new AuditStoreHealthCheck(sp), HealthStatus.Unhealthy, tags));
            builder.Add(new HealthCheckRegistration("hipaa-audit-sealing", sp => new AuditSealingLagHealthCheck(sp, options), HealthStatus.Unhealthy, tags));
        }

        return builder;
    }
}
