using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Hipaa.Policy;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.Tests.Materialization;

/// <summary>
/// Reads are decrypted and audited by an instantiation binding, whatever way EF Core builds the entity: a constructor
/// that takes mapped properties, a property with a private backing field, a derived type of a hierarchy.
/// </summary>
public sealed class EntityReadBindingTests : IDisposable
{
    private static readonly CountingKeyEncryptionKey Kek = new("kek-binding");
    private readonly string _directory = Directory.CreateTempSubdirectory("hipaa-binding-").FullName;
    private readonly ServiceProvider _services;

    public EntityReadBindingTests()
    {
        var services = new ServiceCollection();
        services.AddHipaa()
            .AddFieldEncryption(o => o.KeyScope = KeyScope.Patient)
            .UseKeyEncryptionKey(_ => Kek, KeyWrapAlgorithm.AesGcmKeyWrap256)
            .UseKeyStore(o => o.UseSqlite($"Data Source={Path.Combine(_directory, "keys.db")}"))
            .AddQueryAuditing(o => o.SealInterval = TimeSpan.FromMinutes(10))
            .UseAuditStore(o => o.UseSqlite(ConnectionString))
            .UseLocalDevelopmentCheckpointSigner(Path.Combine(_directory, "signer.key"));
        services.AddDbContextFactory<ShapesDb>((sp, o) => o.UseSqlite(ConnectionString).UseHipaa(sp));
        _services = services.BuildServiceProvider();
        using var context = CreateContext();
        context.Database.EnsureCreated();
    }

    private string ConnectionString => $"Data Source={Path.Combine(_directory, "shapes.db")};Default Timeout=30";

    public void Dispose()
    {
        _services.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void UseHipaa_RegistersNoMaterializationInterceptor()
    {
        using var context = CreateContext();
        var interceptors = context.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()!.Interceptors ?? [];
        var singletons = context.GetService<IEnumerable<ISingletonInterceptor>>();

        Assert.DoesNotContain(interceptors, i => i is IMaterializationInterceptor);
        Assert.DoesNotContain(singletons, i => i is IMaterializationInterceptor);
        Assert.Contains(singletons, i => i is IInstantiationBindingInterceptor); // registered by UseHipaa's options extension
    }

    [Fact]
    public void ConstructorBoundEntity_IsDecryptedAndAuditedWithItsPatient()
    {
        var id = Guid.NewGuid();
        using (AccessContext.Begin(Therapist))
        using (var context = CreateContext())
        {
            context.Add(new ConstructedNote(id, "p-ctor") { Text = "sleeps badly" });
            context.SaveChanges();
        }

        using (AccessContext.Begin(Therapist))
        using (var context = CreateContext())
        {
            var tracked = context.ConstructedNotes.Single(n => n.Id == id);
            var untracked = context.ConstructedNotes.AsNoTracking().Single(n => n.Id == id);

            Assert.Equal(("p-ctor", "sleeps badly"), (tracked.PatientId, tracked.Text));
            Assert.Equal(("p-ctor", "sleeps badly"), (untracked.PatientId, untracked.Text));
        }

        Assert.Equal(2, ReadsOf("p-ctor", nameof(ConstructedNote)));
        Assert.DoesNotContain("sleeps badly", RawColumn("ConstructedNotes", "Text"));
    }

    [Fact]
    public void BackingFieldProperty_IsSetBeforeTheHookAndDecryptedValuesSurviveTracking()
    {
        var id = Guid.NewGuid();
        using (AccessContext.Begin(Therapist))
        using (var context = CreateContext())
        {
            var note = new FieldBackedNote { Id = id, PatientId = "p-field", Text = "first" };
            note.SetClinic("north");
            context.Add(note);
            context.SaveChanges();
        }

        using (AccessContext.Begin(Therapist))
        using (var context = CreateContext())
        {
            var note = context.FieldBackedNotes.Single(n => n.Id == id);
            Assert.Equal(("north", "first"), (note.Clinic, note.Text));

            // Tracked entities still detect a change to the decrypted value (the snapshot was taken by the hook).
            note.Text = "second";
            context.SaveChanges();
        }

        using (AccessContext.Begin(Therapist))
        using (var context = CreateContext())
        {
            Assert.Equal("second", context.FieldBackedNotes.AsNoTracking().Single(n => n.Id == id).Text);
        }

        Assert.DoesNotContain("second", RawColumn("FieldBackedNotes", "Text"));
    }

    [Fact]
    public void DerivedTypes_AreDecryptedWithBothTheirOwnAndInheritedProperties()
    {
        var baseId = Guid.NewGuid();
        var derivedId = Guid.NewGuid();
        using (AccessContext.Begin(Therapist))
        using (var context = CreateContext())
        {
            context.Add(new Assessment { Id = baseId, PatientId = "p-base", Summary = "calm" });
            context.Add(new RiskAssessment { Id = derivedId, PatientId = "p-derived", Summary = "agitated", Risk = "moderate" });
            context.SaveChanges();
        }

        using (AccessContext.Begin(Therapist))
        using (var context = CreateContext())
        {
            var all = context.Assessments.AsNoTracking().OrderBy(a => a.PatientId).ToList();

            Assert.Collection(
                all,
                a => Assert.Equal(("p-base", "calm"), (a.PatientId, a.Summary)),
                a =>
                {
                    var risk = Assert.IsType<RiskAssessment>(a);
                    Assert.Equal(("p-derived", "agitated", "moderate"), (risk.PatientId, risk.Summary, risk.Risk));
                });
        }

        Assert.Equal(1, ReadsOf("p-base", nameof(Assessment)));
        Assert.Equal(1, ReadsOf("p-derived", nameof(RiskAssessment)));
    }

    [Fact]
    public void ReadWithoutAccessContext_FailsBeforeTheEntityIsReturned()
    {
        var id = Guid.NewGuid();
        using (AccessContext.Begin(Therapist))
        using (var context = CreateContext())
        {
            context.Add(new ConstructedNote(id, "p-none") { Text = "private" });
            context.SaveChanges();
        }

        using var reader = CreateContext();
        var failure = Assert.Throws<InvalidOperationException>(() => reader.ConstructedNotes.AsNoTracking().Single(n => n.Id == id));
        Assert.Contains("no access context", failure.Message, StringComparison.Ordinal);
    }

    private static AccessContext Therapist => new(new Actor("u-ther-9", [WellKnownRoles.Therapist], "practice", []), PurposeOfUse.Treatment);

    private ShapesDb CreateContext() => _services.GetRequiredService<IDbContextFactory<ShapesDb>>().CreateDbContext();

    private int ReadsOf(string patientId, string entity)
    {
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM hipaa_audit WHERE patient_id = $p AND entity = $e AND action = $a";
        command.Parameters.AddWithValue("$p", patientId);
        command.Parameters.AddWithValue("$e", entity);
        command.Parameters.AddWithValue("$a", AuditAction.Read.ToString());
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private List<string> RawColumn(string table, string column)
    {
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT \"{column}\" FROM \"{table}\"";
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(System.Text.Encoding.UTF8.GetString((byte[])reader[0]));
        }

        return values;
    }
}

[Phi("ProgressNote")]
public sealed class ConstructedNote(Guid id, string patientId)
{
    public Guid Id { get; private set; } = id;

    [PatientId]
    public string PatientId { get; private set; } = patientId;

    [Encrypted]
    public string Text { get; set; } = string.Empty;
}

[Phi("ProgressNote")]
public sealed class FieldBackedNote
{
    private string _clinic = string.Empty;

    public Guid Id { get; set; }

    [PatientId]
    public string PatientId { get; set; } = string.Empty;

    public string Clinic => _clinic;

    [Encrypted]
    public string Text { get; set; } = string.Empty;

    public void SetClinic(string clinic) => _clinic = clinic;
}

[Phi("ProgressNote")]
public class Assessment
{
    public Guid Id { get; set; }

    [PatientId]
    public string PatientId { get; set; } = string.Empty;

    [Encrypted]
    public string Summary { get; set; } = string.Empty;
}

public sealed class RiskAssessment : Assessment
{
    [Encrypted]
    public string Risk { get; set; } = string.Empty;
}

public sealed class ShapesDb(DbContextOptions<ShapesDb> options) : DbContext(options)
{
    public DbSet<ConstructedNote> ConstructedNotes => Set<ConstructedNote>();

    public DbSet<FieldBackedNote> FieldBackedNotes => Set<FieldBackedNote>();

    public DbSet<Assessment> Assessments => Set<Assessment>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<FieldBackedNote>().Property(n => n.Clinic).HasField("_clinic").UsePropertyAccessMode(PropertyAccessMode.Field);
        modelBuilder.Entity<RiskAssessment>();
    }
}
