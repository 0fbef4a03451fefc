using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// Ties the sealing loop of <see cref="AuditRuntime"/> to the host's lifetime: started with the host (if the runtime was not
/// created and started before), stopped at shutdown within the host's timeout, sealing what still waits. Resolves the
/// runtime only when the host starts, after <see cref="Diagnostics.HipaaStartupValidator"/> has checked the registrations.
/// </summary>
internal sealed class AuditSealingHostedService(IServiceProvider services) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<AuditRuntime>().Sealing?.Start();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) =>
        services.GetRequiredService<AuditRuntime>().Sealing?.StopAsync(cancellationToken) ?? Task.CompletedTask;
}
