using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.AspNetCore;

/// <summary>Wraps the service registered last for a type in a decorator, keeping its lifetime and its place.</summary>
internal static class ServiceDecoration
{
    public static void Decorate<TService>(IServiceCollection services, Func<IServiceProvider, TService, TService> decorate)
        where TService : class
    {
        int index = -1;
        for (int i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == typeof(TService) && !services[i].IsKeyedService)
            {
                index = i;
                break;
            }
        }

        if (index < 0)
        {
            throw new InvalidOperationException($"No {typeof(TService).Name} is registered to decorate; AddAuthorization() registers it.");
        }

        ServiceDescriptor inner = services[index];
        services[index] = ServiceDescriptor.Describe(
            typeof(TService),
            sp => decorate(sp, (TService)CreateInner(sp, inner)),
            inner.Lifetime);
    }

    private static object CreateInner(IServiceProvider services, ServiceDescriptor descriptor) =>
        descriptor.ImplementationInstance
        ?? descriptor.ImplementationFactory?.Invoke(services)
        ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!);
}
