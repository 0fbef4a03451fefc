using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Infrastructure;

/// <summary>An owned (or complex) value with an encrypted property, which the SDK cannot encrypt.</summary>
public sealed class GatedAddress
{
    public string Street { get; set; } = string.Empty;

    [Encrypted]
    public string? GateCode { get; set; }
}

[Phi("Demographics")]
public sealed class Tenant
{
    [PatientId]
    public Guid Id { get; set; }

    public GatedAddress Home { get; set; } = new();
}

/// <summary>Maps <see cref="Tenant.Home"/> as an owned type (<c>OwnsOne</c>).</summary>
public sealed class OwnedTenantDb(DbContextOptions<OwnedTenantDb> options) : DbContext(options)
{
    public DbSet<Tenant> Tenants => Set<Tenant>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.Entity<Tenant>().OwnsOne(t => t.Home);
}

/// <summary>Maps <see cref="Tenant.Home"/> as a complex type (<c>ComplexProperty</c>).</summary>
public sealed class ComplexTenantDb(DbContextOptions<ComplexTenantDb> options) : DbContext(options)
{
    public DbSet<Tenant> Tenants => Set<Tenant>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.Entity<Tenant>().ComplexProperty(t => t.Home);
}
