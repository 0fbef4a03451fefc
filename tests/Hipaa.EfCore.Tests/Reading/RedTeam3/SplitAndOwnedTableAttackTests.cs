using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam3;

/// <summary>
/// A PHI entity keeps values in more tables than its main one: a fragment of entity splitting (the intake's SSN in
/// <c>IntakeSecrets</c>) and the table of an owned collection (a resident's contacts in <c>ResidentContacts</c>). Neither
/// counted as a PHI table: raw SQL naming them ran without an access context and left no record, and a context without
/// <c>UseHipaa</c> could map a plain type onto them.
/// </summary>
public abstract class SplitAndOwnedTableAttackTests(string provider) : WardFixture(provider)
{
    [Theory]
    [InlineData("IntakeSecrets", "Ssn")]
    [InlineData("ResidentContacts", "Phone")]
    public async Task SqlQuery_OfASplitOrOwnedTable_WithoutAnAccessContext_IsRefused(string table, string column)
    {
        using var host = Enforcing();
        await using var db = host.CreateContext();
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => db.Database.SqlQueryRaw<string>(Select(table, column)).ToListAsync());

        Assert.Contains("access context", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("IntakeSecrets", "Ssn")]
    [InlineData("ResidentContacts", "Phone")]
    public async Task SqlQuery_OfASplitOrOwnedTable_IsDecidedAndRecordedAsAReadOfTheOwnersCategory(string table, string column)
    {
        using var host = Enforcing();
        var reads = await ReadAsync(host, Billing, db => db.Database.SqlQueryRaw<string>(Select(table, column)).ToListAsync(), values => Assert.Single(values));

        var read = Assert.Single(reads);
        Assert.Equal((AuditAction.Read, null, "Demographics", 1), (read.Action, read.PatientId, read.Categories, read.RowCount));
    }

    [Fact]
    public async Task ExecuteSql_UpdatingTheSplitTable_IsRecordedPerPatient()
    {
        using var host = Enforcing();
        var sql = IsSqlite ? "UPDATE IntakeSecrets SET Ssn = '000-00-0000'" : "UPDATE \"IntakeSecrets\" SET \"Ssn\" = '000-00-0000'";
        var frontDesk = new AccessContext(new Hipaa.Policy.Actor("u-front-3", [Hipaa.Policy.WellKnownRoles.FrontDesk], "practice"), Hipaa.Policy.PurposeOfUse.Operations);
        var writes = await ReadAsync(host, frontDesk, db => db.Database.ExecuteSqlRawAsync(sql), rows => Assert.Equal(1, rows));

        Assert.Equal([(AuditAction.Update, Guardian.ToString())], writes.Select(w => (w.Action, w.PatientId!)));
    }

    [Fact]
    public async Task ContextWithoutUseHipaa_MappingATypeOntoTheSplitTable_IsRefused()
    {
        await UseGuardedContextAsync();
        await using var plain = Plain();
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => plain.Secrets.ToListAsync());

        Assert.Contains("UseHipaa(sp)", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContextWithoutUseHipaa_MappingAKeylessTypeOntoTheOwnedTable_IsRefused()
    {
        await UseGuardedContextAsync();
        await using var plain = Plain();
        await Assert.ThrowsAsync<InvalidOperationException>(() => plain.Phones.ToListAsync());
    }

    [Fact]
    public async Task ContextWithoutUseHipaa_SplittingAPlainTypeOntoThePhiTable_IsRefused()
    {
        await UseGuardedContextAsync();
        var options = new DbContextOptionsBuilder<SplittingDb>();
        Database.Use(options);
        await using var plain = new SplittingDb(options.Options);

        // Refused by its model at its first use, before any command names the table.
        var failure = Assert.Throws<InvalidOperationException>(() => plain.Add(new SplitWard { Id = Guid.NewGuid() }));
        Assert.Contains("IntakeSecrets", failure.Message, StringComparison.Ordinal);
    }

    private string Select(string table, string column) =>
        IsSqlite ? $"SELECT {column} AS Value FROM {table}" : $"SELECT \"{column}\" AS \"Value\" FROM \"{table}\"";

    /// <summary>Uses the guarded context once, so the process knows its PHI tables (the documented order limit).</summary>
    private async Task UseGuardedContextAsync()
    {
        using var host = Enforcing();
        using (AccessContext.Begin(Billing))
        await using (var db = host.CreateContext())
        {
            _ = await db.Wards.CountAsync();
        }
    }

    private SecretsDb Plain()
    {
        var options = new DbContextOptionsBuilder<SecretsDb>();
        Database.Use(options);
        return new SecretsDb(options.Options);
    }
}

public sealed class SqliteSplitAndOwnedTableAttackTests() : SplitAndOwnedTableAttackTests("sqlite");

public sealed class PostgresSplitAndOwnedTableAttackTests() : SplitAndOwnedTableAttackTests("postgres");

/// <summary>Plain types over two of <see cref="WardDb"/>'s PHI tables, for a context without <c>UseHipaa</c>.</summary>
public sealed class SecretRow
{
    public Guid Id { get; set; }

    public string Ssn { get; set; } = string.Empty;
}

public sealed class PhoneRow
{
    public string Phone { get; set; } = string.Empty;
}

public sealed class SecretsDb(DbContextOptions<SecretsDb> options) : DbContext(options)
{
    public DbSet<SecretRow> Secrets => Set<SecretRow>();

    public DbSet<PhoneRow> Phones => Set<PhoneRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<SecretRow>().ToTable("IntakeSecrets");
        modelBuilder.Entity<PhoneRow>().HasNoKey().ToTable("ResidentContacts");
    }
}

/// <summary>A plain ward whose label a context without <c>UseHipaa</c> splits off into the PHI table <c>IntakeSecrets</c>.</summary>
public sealed class SplitWard
{
    public Guid Id { get; set; }

    public string Ssn { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;
}

public sealed class SplittingDb(DbContextOptions<SplittingDb> options) : DbContext(options)
{
    public DbSet<SplitWard> Wards => Set<SplitWard>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<SplitWard>().ToTable("PlainWards").SplitToTable("IntakeSecrets", t => t.Property(w => w.Ssn));
}
