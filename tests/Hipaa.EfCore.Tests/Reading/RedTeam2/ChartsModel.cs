using Hipaa;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam2;

/// <summary>
/// A PHI entity whose patient id is free text, as in an EHR that keys patients by an external identifier (an MRN with a
/// facility prefix, a federated id): the shapes of text the audit trail's patient lists must carry unchanged.
/// </summary>
[Phi("Demographics")]
public sealed class Chart
{
    [PatientId]
    public string Id { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;
}

public sealed class ChartsDb(DbContextOptions<ChartsDb> options) : DbContext(options)
{
    public DbSet<Chart> Charts => Set<Chart>();
}
