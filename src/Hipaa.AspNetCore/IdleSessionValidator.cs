using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Hipaa.AspNetCore;

/// <summary>
/// Automatic logoff (45 CFR 164.312(a)(2)(iii)) for cookie sessions: the time of the session's last request travels in
/// the (protected) authentication ticket; a request arriving <see cref="PhiAuthorizationOptions.IdleTimeout"/> or more
/// after it finds the session signed out. <c>AddPhiAuthorization()</c> hooks this into every cookie scheme's
/// <c>OnValidatePrincipal</c>; an application that sets <c>CookieAuthenticationOptions.EventsType</c> calls
/// <see cref="ValidatePrincipalAsync"/> from its own events.
/// </summary>
/// <remarks>
/// The last activity is rewritten (the cookie renewed) at most once per tenth of the idle timeout, and at most once a
/// minute, so a session ends no later than the idle timeout after its last request and no more than that step earlier.
/// </remarks>
public static class IdleSessionValidator
{
    /// <summary>The key of the last activity (ISO 8601, UTC) in <see cref="AuthenticationProperties.Items"/>.</summary>
    public const string LastActivityKey = ".hipaa.last-activity";

    /// <summary>Signs the session out when it has been idle for the configured timeout; otherwise records the activity.</summary>
    /// <param name="context">The cookie handler's validation context.</param>
    /// <returns>A task that completes when the session is validated or signed out.</returns>
    public static Task ValidatePrincipalAsync(CookieValidatePrincipalContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        IServiceProvider services = context.HttpContext.RequestServices;
        TimeSpan? idleTimeout = services.GetRequiredService<IOptions<PhiAuthorizationOptions>>().Value.IdleTimeout;
        TimeProvider timeProvider = context.Options.TimeProvider ?? services.GetService<TimeProvider>() ?? TimeProvider.System;
        ILogger logger = services.GetService<ILoggerFactory>()?.CreateLogger(typeof(IdleSessionValidator)) ?? NullLogger.Instance;
        return ValidateAsync(context, idleTimeout, timeProvider, logger);
    }

    internal static async Task ValidateAsync(CookieValidatePrincipalContext context, TimeSpan? idleTimeout, TimeProvider timeProvider, ILogger logger)
    {
        if (idleTimeout is not { } idle || context.Principal is null)
        {
            return;
        }

        DateTimeOffset now = timeProvider.GetUtcNow();
        DateTimeOffset? lastActivity = context.Properties.IssuedUtc;
        if (context.Properties.Items.TryGetValue(LastActivityKey, out string? recorded))
        {
            // The ticket is protected by data protection, so a value that does not parse was not written here: fail closed.
            lastActivity = DateTimeOffset.TryParseExact(recorded, "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out DateTimeOffset parsed)
                ? parsed
                : DateTimeOffset.MinValue;
        }

        TimeSpan elapsed = lastActivity is { } last && now > last ? now - last : TimeSpan.Zero;
        if (elapsed >= idle)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(context.Scheme.Name).ConfigureAwait(false);
            Log.IdleLogoff(logger, context.Scheme.Name, idle);
            return;
        }

        TimeSpan step = TimeSpan.FromTicks(Math.Min(idle.Ticks / 10, TimeSpan.TicksPerMinute));
        if (lastActivity is null || elapsed >= step)
        {
            context.Properties.Items[LastActivityKey] = now.ToString("O", CultureInfo.InvariantCulture);
            context.ShouldRenew = true;
        }
    }
}
