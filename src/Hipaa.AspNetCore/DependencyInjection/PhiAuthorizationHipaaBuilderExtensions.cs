using Hipaa.AspNetCore;
using Hipaa.Policy;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers PHI authorization for ASP.NET Core:
/// <c>services.AddHipaa().AddPhiAuthorization(o =&gt; o.RequireMfa = true)</c>, then
/// <c>app.UseHipaaAccessContext()</c> and <c>.RequireAuthorization(PhiPolicy.For(DataCategory.ProgressNote, PhiAction.Read))</c>.
/// </summary>
public static class PhiAuthorizationHipaaBuilderExtensions
{
    /// <summary>
    /// Adds the policy engine (over <see cref="PhiAuthorizationOptions.Catalog"/>, unless a <see cref="PolicyEngine"/> is
    /// registered already, which is then shared), the category requirement and its <c>phi:{Category}:{Action}</c> policies,
    /// the resource-based handler, <see cref="IPhiAuthorization"/>, ProblemDetails answers for refusals and automatic logoff
    /// for cookie sessions. Options are validated at start-up. Safe to call more than once; configurations accumulate.
    /// </summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="configure">Changes the <see cref="PhiAuthorizationOptions"/>, or <see langword="null"/> for the defaults.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder AddPhiAuthorization(this IHipaaBuilder builder, Action<PhiAuthorizationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        OptionsBuilder<PhiAuthorizationOptions> options = AddCore(builder.Services);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return builder;
    }

    /// <summary>Adds PHI authorization (see <see cref="AddPhiAuthorization(IHipaaBuilder, Action{PhiAuthorizationOptions})"/>), bound to a configuration section such as <c>Hipaa:Authorization</c>.</summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="configuration">The section holding <see cref="PhiAuthorizationOptions"/>; lists add to the defaults.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder AddPhiAuthorization(this IHipaaBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        AddCore(builder.Services).Bind(configuration);
        return builder;
    }

    private static OptionsBuilder<PhiAuthorizationOptions> AddCore(IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddAuthorization();
        services.AddHttpContextAccessor();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PhiAuthorizationOptions>, PhiAuthorizationOptionsValidator>());
        services.TryAddSingleton(sp => new PolicyEngine(sp.GetRequiredService<IOptions<PhiAuthorizationOptions>>().Value.Catalog));
        services.TryAddSingleton(sp => new SharedLoginMonitor(sp.GetRequiredService<TimeProvider>()));
        services.TryAddScoped<PhiRequestResolver>();
        services.TryAddScoped<PhiAuthorizationService>();
        services.TryAddScoped<IPhiAuthorization>(sp => sp.GetRequiredService<PhiAuthorizationService>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IAuthorizationHandler, PhiRequirementHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IAuthorizationHandler, PhiResourceHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<CookieAuthenticationOptions>, IdleLogoffCookiePostConfigure>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, ForwardedHeadersCheck>());
        if (!services.Any(d => d.ServiceType == typeof(PhiAuthorizationMarker)))
        {
            services.AddSingleton<PhiAuthorizationMarker>();
            ServiceDecoration.Decorate<IAuthorizationPolicyProvider>(
                services, (sp, inner) => new PhiAuthorizationPolicyProvider(inner, sp.GetRequiredService<IOptions<PhiAuthorizationOptions>>()));
            ServiceDecoration.Decorate<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler>(
                services, (sp, inner) => new PhiAuthorizationMiddlewareResultHandler(inner));
        }

        return services.AddOptions<PhiAuthorizationOptions>().ValidateOnStart();
    }
}
