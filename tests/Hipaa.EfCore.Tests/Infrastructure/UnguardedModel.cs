using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Infrastructure;

/// <summary>An entity with neither PHI nor encrypted properties.</summary>
public sealed class Widget
{
    public Guid Id { get; set; }

    public string Name { get; set; } = string.Empty;
}

/// <summary>A second context of the application that maps no PHI: it needs no <c>UseHipaa</c>.</summary>
public sealed class WidgetDb(DbContextOptions<WidgetDb> options) : DbContext(options)
{
    public DbSet<Widget> Widgets => Set<Widget>();
}

/// <summary>A context mapping an entity with an encrypted property but no [Phi]: without <c>UseHipaa</c> it would store plaintext.</summary>
public sealed class LegacyDb(DbContextOptions<LegacyDb> options) : DbContext(options)
{
    public DbSet<Legacy> Legacies => Set<Legacy>();
}
