using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Hipaa.AspNetCore;

/// <summary>
/// Puts automatic logoff into every cookie authentication scheme: sliding expiration, an expiry no longer than the idle
/// timeout, and <see cref="IdleSessionValidator"/> before the application's own <c>OnValidatePrincipal</c>.
/// </summary>
internal sealed class IdleLogoffCookiePostConfigure(
    IOptions<PhiAuthorizationOptions> phiOptions,
    TimeProvider timeProvider,
    ILoggerFactory? loggerFactory = null) : IPostConfigureOptions<CookieAuthenticationOptions>
{
    private readonly ILogger _logger = loggerFactory?.CreateLogger(typeof(IdleSessionValidator)) ?? NullLogger.Instance;

    public void PostConfigure(string? name, CookieAuthenticationOptions options)
    {
        if (phiOptions.Value.IdleTimeout is not { } idle)
        {
            return;
        }

        options.SlidingExpiration = true;
        if (options.ExpireTimeSpan > idle)
        {
            options.ExpireTimeSpan = idle;
        }

        Func<CookieValidatePrincipalContext, Task> application = options.Events.OnValidatePrincipal;
        options.Events.OnValidatePrincipal = async context =>
        {
            await IdleSessionValidator.ValidateAsync(context, idle, context.Options.TimeProvider ?? timeProvider, _logger).ConfigureAwait(false);
            if (context.Principal is not null)
            {
                await application(context).ConfigureAwait(false);
            }
        };
    }
}
