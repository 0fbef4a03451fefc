using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hipaa.AspNetCore;

/// <summary>
/// Warns at start-up when the forwarded-headers configuration (<see cref="ForwardedHeadersOptions"/> in DI, which
/// <c>app.UseForwardedHeaders()</c> without arguments uses) lets a client choose the address that the access context and
/// every audit record carry: X-Forwarded-For accepted from every address, or followed without a limit. Options passed
/// to <c>UseForwardedHeaders(options)</c> directly are not seen.
/// </summary>
internal sealed class ForwardedHeadersCheck(IOptions<ForwardedHeadersOptions> options, ILogger<ForwardedHeadersCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        ForwardedHeadersOptions forwarded = options.Value;
        if ((forwarded.ForwardedHeaders & ForwardedHeaders.XForwardedFor) == 0)
        {
            return Task.CompletedTask;
        }

        if (forwarded.KnownProxies.Count == 0 && forwarded.KnownIPNetworks.Count == 0)
        {
            Log.ForwardedForFromAnyAddress(logger);
        }

        if (forwarded.ForwardLimit is null)
        {
            Log.ForwardLimitUnbounded(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
