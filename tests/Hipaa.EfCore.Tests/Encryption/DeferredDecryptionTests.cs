using System.Reflection;
using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.Tests.Encryption;

/// <summary>
/// [Encrypted] partial properties: the source generator gives them storage that a query fills with the ciphertext, and
/// the value is decrypted on the property's first read — with the same binding, checks and failures as an eager read.
/// Run against SQLite and against the real PostgreSQL.
/// </summary>
public abstract class DeferredDecryptionTests : IDisposable
{
    private readonly TestDatabase _database;
    private readonly ServiceProvider _services;

    protected DeferredDecryptionTests(string provider)
    {
        _database = TestDatabase.Create(provider);
        var services = new ServiceCollection();
        services.AddHipaa()
            .AddFieldEncryption(o => o.KeyScope = KeyScope.Patient)
            .UseKeyEncryptionKey(_ => new CountingKeyEncryptionKey("kek-deferred"), KeyWrapAlgorithm.AesGcmKeyWrap256)
            .UseKeyStore(_database.Use);
        services.AddDbContextFactory<ChartsDb>((sp, options) => _database.Use(options.UseHipaa(sp)));
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        using var context = CreateContext();
        context.Database.EnsureCreated();
    }

    public void Dispose()
    {
        _services.Dispose();
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void Query_LeavesPartialPropertiesEncrypted_UntilEachIsRead()
    {
        var chart = Save(NewChart());

        using var context = CreateContext();
        var read = context.Charts.AsNoTracking().Single(c => c.Id == chart.Id);

        Assert.True(IsDeferred(read, nameof(DeferredChart.Summary)));
        Assert.True(IsDeferred(read, nameof(DeferredChart.Score)));
        Assert.True(IsDeferred(read, nameof(DeferredChart.Scan)));
        Assert.True(IsDeferred(read, nameof(DeferredChart.Seen)));
        Assert.Equal(chart.Eager, read.Eager); // an ordinary [Encrypted] property is decrypted by the query

        Assert.Equal(chart.Summary, read.Summary);
        Assert.False(IsDeferred(read, nameof(DeferredChart.Summary)));
        Assert.True(IsDeferred(read, nameof(DeferredChart.Score)));
        Assert.Equal(chart.Score, read.Score);
        Assert.Equal(chart.Scan, read.Scan);
        Assert.Equal(chart.Seen, read.Seen);
    }

    [Fact]
    public void ProjectionAndEqualitySearch_WorkOnDeferredProperties()
    {
        var chart = Save(NewChart());
        Save(NewChart());

        using var context = CreateContext();
        var projected = context.Charts.Where(c => c.Id == chart.Id).Select(c => new { c.Title, c.Summary, c.Score }).Single();
        var found = context.Charts.AsNoTracking().Single(c => c.Mrn == chart.Mrn);

        Assert.Equal((chart.Title, chart.Summary, chart.Score), (projected.Title, projected.Summary, projected.Score));
        Assert.Equal(chart.Id, found.Id);
        Assert.True(IsDeferred(found, nameof(DeferredChart.Mrn)));
        Assert.Equal(chart.Mrn, found.Mrn);
        Assert.Throws<NotSupportedException>(() => context.Charts.Where(c => c.Mrn!.StartsWith("MRN")).ToList());
    }

    [Fact]
    public void StoredValues_AreCiphertext_AndNullsStayNull()
    {
        var chart = NewChart();
        chart.Score = null;
        chart.Scan = null;
        Save(chart);

        var summary = Assert.Single(_database.ReadColumn("Charts", nameof(DeferredChart.Summary)));
        Assert.True(FieldCiphertext.LooksEncrypted(summary));
        Assert.DoesNotContain("sleeps"u8.ToArray(), Windows(summary!, "sleeps".Length));
        Assert.Null(Assert.Single(_database.ReadColumn("Charts", nameof(DeferredChart.Score))));

        using var context = CreateContext();
        var read = context.Charts.AsNoTracking().Single(c => c.Id == chart.Id);
        Assert.Null(read.Score);
        Assert.Null(read.Scan);
        Assert.Equal(chart.Summary, read.Summary);
    }

    [Fact]
    public void TamperedValue_QueryReturns_ReadingThatPropertyFailsAuthentication_OthersStillDecrypt()
    {
        var chart = Save(NewChart());
        var stored = Assert.Single(_database.ReadColumn("Charts", nameof(DeferredChart.Summary)))!;
        stored[^1] ^= 0x01;
        _database.Execute("UPDATE \"Charts\" SET \"Summary\" = @v", ("@v", stored));

        using var context = CreateContext();
        var read = context.Charts.AsNoTracking().Single(c => c.Id == chart.Id);

        var failure = Assert.Throws<FieldDecryptionException>(() => read.Summary);
        Assert.Equal(FieldDecryptionFailure.AuthenticationFailed, failure.Failure);
        Assert.Contains("DeferredChart.Summary", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(chart.Summary, failure.Message, StringComparison.Ordinal);
        Assert.Throws<FieldDecryptionException>(() => read.Summary); // still no plaintext on a second read
        Assert.Equal(chart.Score, read.Score);
        Assert.Equal(chart.Seen, read.Seen);
    }

    [Fact]
    public void CiphertextCopiedFromAnotherRow_FailsWhenRead()
    {
        var first = Save(NewChart());
        var second = NewChart();
        second.PatientId = first.PatientId; // same patient, same data key: only the row binding tells them apart
        second.Summary = "another note";
        Save(second);
        _database.Execute(
            "UPDATE \"Charts\" SET \"Summary\" = (SELECT \"Summary\" FROM \"Charts\" WHERE \"Id\" = @first) WHERE \"Id\" = @second",
            ("@first", first.Id),
            ("@second", second.Id));

        using var context = CreateContext();
        var read = context.Charts.AsNoTracking().Single(c => c.Id == second.Id);

        Assert.Equal(FieldDecryptionFailure.AuthenticationFailed, Assert.Throws<FieldDecryptionException>(() => read.Summary).Failure);
    }

    [Fact]
    public void TrackedEntity_ValuesNeverRead_SaveChangesNeitherDecryptsNorRewritesThem()
    {
        var chart = Save(NewChart());
        var before = _database.ReadColumn("Charts", nameof(DeferredChart.Summary));

        using (var context = CreateContext())
        {
            var tracked = context.Charts.Single(c => c.Id == chart.Id);
            tracked.Title = "renamed";
            Assert.Equal(1, context.SaveChanges());
            Assert.True(IsDeferred(tracked, nameof(DeferredChart.Summary)));
            Assert.True(IsDeferred(tracked, nameof(DeferredChart.Scan)));
        }

        Assert.Equal(before, _database.ReadColumn("Charts", nameof(DeferredChart.Summary)));
        Assert.Equal("renamed", Read(chart.Id).Title);
    }

    [Fact]
    public void TrackedEntity_ValuesReadButUnchanged_AreNotRewritten()
    {
        var chart = Save(NewChart());
        var before = _database.ReadColumn("Charts", nameof(DeferredChart.Summary));

        using (var context = CreateContext())
        {
            var tracked = context.Charts.Single(c => c.Id == chart.Id);
            Assert.Equal(chart.Summary, tracked.Summary);
            Assert.Equal(chart.Scan, tracked.Scan);
            Assert.Equal(0, context.SaveChanges());
        }

        Assert.Equal(before, _database.ReadColumn("Charts", nameof(DeferredChart.Summary)));
    }

    [Fact]
    public void TrackedEntity_ValueSetWithoutReading_OrArrayChangedInPlace_IsReencryptedAndSaved()
    {
        var chart = Save(NewChart());
        var before = Assert.Single(_database.ReadColumn("Charts", nameof(DeferredChart.Summary)));

        using (var context = CreateContext())
        {
            var tracked = context.Charts.Single(c => c.Id == chart.Id);
            tracked.Summary = "sleeps well now";
            tracked.Scan![0] ^= 0xFF;
            Assert.Equal(1, context.SaveChanges());
        }

        Assert.NotEqual(before, Assert.Single(_database.ReadColumn("Charts", nameof(DeferredChart.Summary))));
        var read = Read(chart.Id);
        Assert.Equal("sleeps well now", read.Summary);
        Assert.Equal((byte)(chart.Scan![0] ^ 0xFF), read.Scan![0]);
        Assert.Equal(chart.Score, read.Score);
    }

    [Fact]
    public void TrackedEntity_PatientChanged_DeferredValuesAreReencryptedUnderTheNewBinding()
    {
        var chart = Save(NewChart());
        var newPatient = Guid.NewGuid();

        using (var context = CreateContext())
        {
            var tracked = context.Charts.Single(c => c.Id == chart.Id);
            tracked.PatientId = newPatient;
            context.SaveChanges();
        }

        var read = Read(chart.Id);
        Assert.Equal(newPatient, read.PatientId);
        Assert.Equal(chart.Summary, read.Summary);
        Assert.Equal(chart.Score, read.Score);
        Assert.Equal(chart.Scan, read.Scan);
        Assert.Equal(chart.Seen, read.Seen);
    }

    [Fact]
    public async Task PatientShreddedAfterTheQuery_ReadingAValueFailsAsShredded()
    {
        var chart = Save(NewChart());
        await using var context = CreateContext();
        var read = await context.Charts.AsNoTracking().SingleAsync(c => c.Id == chart.Id);

        Assert.Equal(1, await _services.GetRequiredService<FieldEncryptionKeyManager>().ShredAsync(DataKeyScope.ForPatient(chart.PatientId.ToString())));

        Assert.Equal(FieldDecryptionFailure.KeyDestroyed, Assert.Throws<FieldDecryptionException>(() => read.Summary).Failure);
        Assert.Equal(chart.Eager, read.Eager); // decrypted by the query, before the key was destroyed
    }

    [Fact]
    public async Task DataKeyRolled_ReencryptRewritesDeferredValuesUnderTheNewKey_AndTheyStillRead()
    {
        var chart = Save(NewChart());
        var keys = _services.GetRequiredService<FieldEncryptionKeyManager>();
        var before = Assert.Single(_database.ReadColumn("Charts", nameof(DeferredChart.Summary)))!;

        var newKey = await keys.RollDataKeyAsync(DataKeyScope.ForPatient(chart.PatientId.ToString()));
        await using (var context = CreateContext())
        {
            var result = await keys.ReencryptAsync(context);
            Assert.Equal(1, result.RowsScanned);
            Assert.Equal(6, result.ValuesRewritten); // every non-null encrypted value of the row, deferred or not
        }

        var after = Assert.Single(_database.ReadColumn("Charts", nameof(DeferredChart.Summary)))!;
        Assert.NotEqual(FieldCipher.ReadKeyId(before, "DeferredChart", "Summary"), FieldCipher.ReadKeyId(after, "DeferredChart", "Summary"));
        Assert.Equal(newKey, FieldCipher.ReadKeyId(after, "DeferredChart", "Summary"));
        var read = Read(chart.Id);
        Assert.Equal((chart.Summary, chart.Score, chart.Seen, chart.Mrn), (read.Summary, read.Score, read.Seen, read.Mrn));
        Assert.Equal(chart.Scan, read.Scan);
    }

    [Fact]
    public void ConcurrentFirstReads_AllSeeTheDecryptedValue()
    {
        var chart = Save(NewChart());
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var read = Read(chart.Id);
            using var start = new Barrier(8);
            var seen = new string[8];
            Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            {
                start.SignalAndWait();
                seen[i] = read.Summary;
            });

            Assert.All(seen, value => Assert.Equal(chart.Summary, value));
        }
    }

    [Fact]
    public void Generator_GivesEachPartialPropertyPrivateStorage_AndOrdinaryPropertiesNone()
    {
        foreach (var name in new[] { nameof(DeferredChart.Summary), nameof(DeferredChart.Score), nameof(DeferredChart.Scan), nameof(DeferredChart.Seen) })
        {
            var field = typeof(DeferredChart).GetField(DeferredPropertyStorage.FieldPrefix + name, BindingFlags.Instance | BindingFlags.NonPublic);
            Assert.NotNull(field);
            Assert.True(field.IsPrivate);
            Assert.Equal(typeof(DeferredPlaintext<>).MakeGenericType(typeof(DeferredChart).GetProperty(name)!.PropertyType), field.FieldType);
        }

        Assert.Null(typeof(DeferredChart).GetField(DeferredPropertyStorage.FieldPrefix + nameof(DeferredChart.Eager), BindingFlags.Instance | BindingFlags.NonPublic));

        // Nested types, init accessors and non-public setters are implemented too: set and read like any property.
        var nested = new DeferredCharts.NestedChart { Code = "x-1" };
        nested.SetNote("reviewed");
        Assert.Equal(("x-1", "reviewed"), (nested.Code, nested.Note));

        // Generic types and records too.
        var generic = new DeferredCharts.Tagged<int> { Tag = 7, Label = "seven" };
        var record = new DeferredCharts.ChartRecord("r-1") { Body = "record body" };
        Assert.Equal((7, "seven"), (generic.Tag, generic.Label));
        Assert.Equal(("r-1", "record body"), (record.Id, record.Body));
        Assert.NotNull(typeof(DeferredCharts.ChartRecord).GetField(DeferredPropertyStorage.FieldPrefix + nameof(DeferredCharts.ChartRecord.Body), BindingFlags.Instance | BindingFlags.NonPublic));
    }

    private static DeferredChart NewChart() => new()
    {
        Id = Guid.NewGuid(),
        PatientId = Guid.NewGuid(),
        Title = "Intake",
        Summary = "sleeps badly; appetite normal ✓",
        Score = 17,
        Scan = [1, 2, 3, 250],
        Seen = new DateOnly(2026, 11, 2),
        Eager = "eagerly decrypted",
        Mrn = "MRN-" + Guid.NewGuid().ToString("N")[..8],
    };

    private static bool IsDeferred(DeferredChart chart, string property)
    {
        var field = typeof(DeferredChart).GetField(DeferredPropertyStorage.FieldPrefix + property, BindingFlags.Instance | BindingFlags.NonPublic)!;
        var storage = field.GetValue(chart)!;
        return (bool)field.FieldType.GetProperty("IsDeferred", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(storage)!;
    }

    private static IEnumerable<byte[]> Windows(byte[] bytes, int size) =>
        Enumerable.Range(0, Math.Max(0, bytes.Length - size + 1)).Select(i => bytes[i..(i + size)]);

    private DeferredChart Save(DeferredChart chart)
    {
        using var context = CreateContext();
        context.Add(chart);
        context.SaveChanges();
        return chart;
    }

    private DeferredChart Read(Guid id)
    {
        using var context = CreateContext();
        return context.Charts.AsNoTracking().Single(c => c.Id == id);
    }

    private ChartsDb CreateContext() => _services.GetRequiredService<IDbContextFactory<ChartsDb>>().CreateDbContext();
}

public sealed class SqliteDeferredDecryptionTests() : DeferredDecryptionTests("sqlite");

public sealed class PostgresDeferredDecryptionTests() : DeferredDecryptionTests("postgres");

/// <summary>A chart whose encrypted partial properties are decrypted on first read, and one ordinary encrypted property.</summary>
public sealed partial class DeferredChart
{
    public Guid Id { get; set; }

    [PatientId]
    public Guid PatientId { get; set; }

    public string Title { get; set; } = string.Empty;

    [Encrypted]
    public partial string Summary { get; set; }

    [Encrypted]
    public partial int? Score { get; set; }

    [Encrypted]
    public partial byte[]? Scan { get; set; }

    [Encrypted]
    public partial DateOnly Seen { get; set; }

    [Encrypted]
    public string Eager { get; set; } = string.Empty;

    [Encrypted(Searchable = true)]
    public partial string? Mrn { get; set; }
}

/// <summary>Holds a nested entity-shaped type, to show the generator handles nesting and accessor modifiers.</summary>
public static partial class DeferredCharts
{
    public sealed partial class NestedChart
    {
        [Encrypted]
        public required partial string Code { get; init; }

        [Encrypted]
        public partial string? Note { get; private set; }

        public void SetNote(string note) => Note = note;
    }

    public sealed partial class Tagged<T>
    {
        [Encrypted]
        public partial T Tag { get; set; }

        [Encrypted]
        public partial string? Label { get; set; }
    }

    public sealed partial record ChartRecord(string Id)
    {
        [Encrypted]
        public partial string? Body { get; set; }
    }
}

public sealed class ChartsDb(DbContextOptions<ChartsDb> options) : DbContext(options)
{
    public DbSet<DeferredChart> Charts => Set<DeferredChart>();
}
