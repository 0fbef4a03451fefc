using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Hipaa.AspNetCore.Tests;

/// <summary>
/// A log event id names one event across every shipped package, so a log query or an alert on an id finds one thing
/// (4101 once meant both "development KEK in use" and "PHI access permitted"). docs/operations.md lists them.
/// </summary>
public sealed class EventIdConventionTests
{
    private static readonly Assembly[] ShippedAssemblies =
    [
        typeof(Hipaa.PhiAttribute).Assembly,
        typeof(Microsoft.EntityFrameworkCore.HipaaDbContextOptionsBuilderExtensions).Assembly,
        typeof(PhiPolicy).Assembly,
        typeof(Hipaa.Fhir.FhirAuditEventMapper).Assembly,
        typeof(Hipaa.Pkcs11.Pkcs11KeyEncryptionKey).Assembly,
        typeof(Hipaa.Azure.AzureKeyEncryptionKey).Assembly,
    ];

    [Fact]
    public void LoggerMessages_AcrossShippedPackages_HaveUniqueEventIds()
    {
        var events = LoggerMessages().ToList();

        Assert.True(events.Count >= 30, $"only {events.Count} [LoggerMessage] methods found; the scan is broken");
        var duplicates = events.GroupBy(e => e.Id)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Where))}")
            .ToList();
        Assert.True(duplicates.Count == 0, "event ids used more than once: " + string.Join("; ", duplicates));
    }

    [Fact]
    public void LoggerMessages_AcrossShippedPackages_HaveAnExplicitEventId()
    {
        var unnumbered = LoggerMessages().Where(e => e.Id <= 0).Select(e => e.Where).ToList();

        Assert.Empty(unnumbered);
    }

    private static IEnumerable<(int Id, string Where)> LoggerMessages() =>
        from assembly in ShippedAssemblies
        from type in assembly.GetTypes()
        from method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
        let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
        where attribute is not null
        select (attribute.EventId, $"{assembly.GetName().Name}:{type.Name}.{method.Name}");
}
