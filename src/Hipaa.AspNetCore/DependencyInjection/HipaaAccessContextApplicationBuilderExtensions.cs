using Hipaa.AspNetCore;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds the middleware that makes the request's actor and purpose of use the ambient <c>Hipaa.Auditing.AccessContext</c>.</summary>
public static class HipaaAccessContextApplicationBuilderExtensions
{
    /// <summary>
    /// For every authenticated request, begins an <c>AccessContext</c> (actor, purpose of use, client address, request id,
    /// client application, break-the-glass reason) for the rest of the pipeline, so that EF Core auditing sees who is
    /// asking. Place it after <c>UseAuthentication()</c> and before the endpoints; it needs <c>AddPhiAuthorization()</c>.
    /// A malformed purpose-of-use or break-the-glass header is answered 400 here.
    /// </summary>
    /// <param name="app">The application's pipeline.</param>
    /// <returns>The same pipeline.</returns>
    /// <exception cref="InvalidOperationException"><c>AddHipaa().AddPhiAuthorization()</c> was not called.</exception>
    public static IApplicationBuilder UseHipaaAccessContext(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.ApplicationServices.GetService<IServiceProviderIsService>() is { } isService && !isService.IsService(typeof(PhiRequestResolver)))
        {
            throw new InvalidOperationException(
                "UseHipaaAccessContext() needs the PHI authorization services: call services.AddHipaa().AddPhiAuthorization() when configuring services.");
        }

        return app.UseMiddleware<HipaaAccessContextMiddleware>();
    }
}
