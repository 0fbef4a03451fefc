using System.Reflection;
using System.Runtime.CompilerServices;

namespace Hipaa.AspNetCore.Tests;

/// <summary>Conventions of the package, checked by reflection so that they do not drift.</summary>
public sealed class ConventionTests
{
    private static readonly Type[] Types = [.. typeof(PhiPolicy).Assembly.GetTypes().Where(t => !t.IsDefined(typeof(CompilerGeneratedAttribute)) && !t.Name.Contains('<', StringComparison.Ordinal))];

    [Fact]
    public void Classes_ThatAreNotPublic_AreSealedOrStatic()
    {
        Type[] open = [.. Types.Where(t => t.IsClass && !t.IsVisible && !t.IsSealed && !(t.IsAbstract && t.IsSealed))];

        Assert.Empty(open);
    }

    [Fact]
    public void PublicClasses_AreSealedOrStatic()
    {
        Type[] open = [.. Types.Where(t => t.IsClass && t.IsVisible && !t.IsSealed)];

        Assert.Empty(open);
    }

    [Fact]
    public void MethodsReturningTasks_EndInAsync()
    {
        string[] misnamed =
        [
            .. Types.SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
                .Where(m => !m.IsSpecialName && !m.Name.Contains('<', StringComparison.Ordinal))
                .Where(m => typeof(Task).IsAssignableFrom(m.ReturnType) || m.ReturnType.Name.StartsWith("ValueTask", StringComparison.Ordinal))
                .Where(m => !m.Name.EndsWith("Async", StringComparison.Ordinal))
                .Select(m => $"{m.DeclaringType!.Name}.{m.Name}"),
        ];

        Assert.Empty(misnamed);
    }

    [Fact]
    public void PublicAsyncMethodsOfInterfaces_TakeACancellationToken()
    {
        MethodInfo[] withoutToken =
        [
            .. Types.Where(t => t.IsInterface && t.IsVisible).SelectMany(t => t.GetMethods())
                .Where(m => typeof(Task).IsAssignableFrom(m.ReturnType) && m.GetParameters().All(p => p.ParameterType != typeof(CancellationToken))),
        ];

        Assert.Empty(withoutToken);
    }
}
