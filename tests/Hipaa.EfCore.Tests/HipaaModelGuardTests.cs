using Hipaa.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.Tests;

/// <summary>
/// In a process where Hipaa.Sdk's services were registered, a context that maps PHI (or encrypted properties) but was
/// configured without <c>UseHipaa(sp)</c> is refused on first use, and again on every database command after that.
/// </summary>
public abstract class HipaaModelGuardTests : IDisposable
{
    private readonly TestDatabase _database;

    protected HipaaModelGuardTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Query_ContextMappingPhiWithoutUseHipaa_FailsNamingTheMissingCallAndReadsNothing()
    {
        using var host = new ModelHost<ClinicDb>(_database);
        await AddPatientAsync(host);
        var before = host.Records().Count;

        await using var context = PlainContext<ClinicDb>(o => new ClinicDb(o));
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => context.Patients.AsNoTracking().ToListAsync());
        Assert.Contains("UseHipaa(sp)", failure.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(ClinicDb), failure.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(Patient), failure.Message, StringComparison.Ordinal);
        Assert.Equal(before, host.Records().Count);
    }

    [Fact]
    public async Task SaveChanges_OnTheSameContextAfterTheRefusal_IsRefusedAgainAndWritesNothing()
    {
        using var host = new ModelHost<ClinicDb>(_database);
        await using var context = PlainContext<ClinicDb>(o => new ClinicDb(o));
        var patient = new Patient { Id = Guid.NewGuid(), DisplayName = "A" };
        Assert.Throws<InvalidOperationException>(() => context.Add(patient));

        context.Add(patient); // the context is initialized now: the refusal must not be a one-off
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => context.SaveChangesAsync());
        Assert.Contains("UseHipaa(sp)", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, CountRows("Patients"));
        Assert.Empty(host.Records());
    }

    [Fact]
    public async Task PooledContext_RentedAgainAfterTheRefusal_IsRefusedAgain()
    {
        using var host = new ModelHost<ClinicDb>(_database);
        await AddPatientAsync(host);
        var services = new ServiceCollection();
        services.AddDbContextPool<ClinicDb>(_database.Use, poolSize: 1);
        await using var provider = services.BuildServiceProvider();
        for (var lease = 0; lease < 3; lease++)
        {
            await using var scope = provider.CreateAsyncScope();
            var context = scope.ServiceProvider.GetRequiredService<ClinicDb>();
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => context.Patients.AsNoTracking().ToListAsync());
            Assert.Contains("UseHipaa(sp)", failure.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Query_ContextMappingAnEncryptedPropertyWithoutUseHipaa_IsRefused()
    {
        using var host = new ModelHost<ClinicDb>(_database);
        await using var context = PlainContext<LegacyDb>(o => new LegacyDb(o));
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => context.Legacies.ToListAsync());
        Assert.Contains("UseHipaa(sp)", failure.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(Legacy), failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DangerouslyAllowPhiWithoutHipaa_LetsTheContextThroughUnaudited()
    {
        using var host = new ModelHost<ClinicDb>(_database);
        var options = new DbContextOptionsBuilder<ClinicDb>();
        _database.Use(options);
        await using var context = new ClinicDb(options.DangerouslyAllowPhiWithoutHipaa().Options);
        Assert.Empty(await context.Prescriptions.AsNoTracking().ToListAsync());
        Assert.Empty(host.Records());
    }

    [Fact]
    public async Task SecondContext_MappingNoPhi_WorksWithoutUseHipaa()
    {
        using var host = new ModelHost<ClinicDb>(_database);
        await using var context = PlainContext<WidgetDb>(o => new WidgetDb(o));
        _database.Execute("CREATE TABLE \"Widgets\" (\"Id\" uuid PRIMARY KEY, \"Name\" text NOT NULL)".Replace("uuid", IsSqlite ? "TEXT" : "uuid", StringComparison.Ordinal));
        context.Add(new Widget { Id = Guid.NewGuid(), Name = "w" });
        await context.SaveChangesAsync();
        Assert.Single(await context.Widgets.AsNoTracking().ToListAsync());
    }

    private bool IsSqlite => _database.ConnectionString.StartsWith("Data Source=", StringComparison.Ordinal);

    private TContext PlainContext<TContext>(Func<DbContextOptions<TContext>, TContext> create)
        where TContext : DbContext
    {
        var options = new DbContextOptionsBuilder<TContext>();
        _database.Use(options);
        return create(options.Options);
    }

    private int CountRows(string table)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM \"{table}\"";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task AddPatientAsync(ModelHost<ClinicDb> host)
    {
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            context.Add(new Patient { Id = Guid.NewGuid(), DisplayName = "A", Ssn = "123-45-6789" });
            await context.SaveChangesAsync();
        }
    }
}

public sealed class SqliteHipaaModelGuardTests() : HipaaModelGuardTests("sqlite");

public sealed class PostgresHipaaModelGuardTests() : HipaaModelGuardTests("postgres");
