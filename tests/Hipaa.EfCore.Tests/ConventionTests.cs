using System.Reflection;
using System.Runtime.CompilerServices;

namespace Hipaa.EfCore.Tests;

/// <summary>Cheap reflection checks that keep the shipped assemblies to the house style (STYLE.md).</summary>
public sealed class ConventionTests
{
    private static readonly Assembly[] Shipped =
    [
        typeof(Hipaa.Encryption.IKeyEncryptionKey).Assembly,
        typeof(Hipaa.EfCore.Encryption.FieldEncryptionKeyManager).Assembly,
        typeof(Hipaa.Pkcs11.Pkcs11KeyEncryptionKey).Assembly,
        typeof(Hipaa.Azure.AzureKeyEncryptionKey).Assembly,
    ];

    /// <summary>
    /// Entity types the SDK maps into the application's own model: EF Core's proxies (UseLazyLoadingProxies) refuse a
    /// model with a sealed entity type, so these are left unsealed on purpose.
    /// </summary>
    private static readonly Type[] UnsealedForProxies =
    [
        typeof(Hipaa.EfCore.Auditing.AuditEntry),
        typeof(Hipaa.EfCore.Auditing.AuditPatientEntry),
        typeof(Hipaa.EfCore.Auditing.AuditCheckpointEntry),
    ];

    public static TheoryData<string> Assemblies => [.. Shipped.Select(a => a.GetName().Name!)];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void Classes_ThatAreNotPublicOrAbstractOrStatic_AreSealed(string assembly)
    {
        var unsealed = Types(assembly)
            .Where(t => t.IsClass && !t.IsSealed && !t.IsAbstract && !IsPublicApi(t))
            .Where(t => !t.IsDefined(typeof(CompilerGeneratedAttribute)) && !t.Name.Contains('<', StringComparison.Ordinal))
            .Where(t => !t.GetTypeInfo().Assembly.GetTypes().Any(other => other.BaseType == t))
            .Where(t => !UnsealedForProxies.Contains(t))
            .Select(t => t.FullName)
            .ToList();
        Assert.Empty(unsealed);
    }

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void PublicMethodsReturningTasks_EndInAsync(string assembly)
    {
        var misnamed = Types(assembly)
            .Where(IsPublicApi)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => typeof(Task).IsAssignableFrom(m.ReturnType) || (m.ReturnType.IsGenericType && m.ReturnType.GetGenericTypeDefinition() == typeof(ValueTask<>)))
            .Where(m => !m.Name.EndsWith("Async", StringComparison.Ordinal))
            .Select(m => $"{m.DeclaringType!.FullName}.{m.Name}")
            .ToList();
        Assert.Empty(misnamed);
    }

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void PublicAsyncMethods_TakeACancellationToken(string assembly)
    {
        var missing = Types(assembly)
            .Where(IsPublicApi)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => m.Name.EndsWith("Async", StringComparison.Ordinal))
            .Where(m => !m.GetParameters().Any(p => p.ParameterType == typeof(CancellationToken)))
            .Select(m => $"{m.DeclaringType!.FullName}.{m.Name}")
            .ToList();
        Assert.Empty(missing);
    }

    private static IEnumerable<Type> Types(string assembly) => Shipped.Single(a => a.GetName().Name == assembly).GetTypes();

    private static bool IsPublicApi(Type type) => type.IsPublic || (type.IsNestedPublic && type.DeclaringType is { } declaring && IsPublicApi(declaring));
}
