using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Auditing;

/// <summary>An application context with <c>UseLazyLoadingProxies()</c>: the model builds with the SDK's audit tables in it, and reads (lazy ones included) and writes are audited.</summary>
public abstract class LazyLoadingProxiesTests : IDisposable
{
    private readonly TestDatabase _database;

    protected LazyLoadingProxiesTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void Model_WithLazyLoadingProxies_BuildsAndContainsTheAuditTables()
    {
        using var host = new ModelHost<LazyClinicDb>(_database, before: o => o.UseLazyLoadingProxies());
        using var context = host.CreateContext();
        var tables = context.Model.GetEntityTypes().Select(t => t.GetTableName()).ToList();
        Assert.Contains(AuditModel.AuditTable, tables);
        Assert.Contains(AuditModel.CheckpointTable, tables);
        Assert.Contains("Charts", tables);
    }

    [Fact]
    public async Task ReadsAndWrites_WithLazyLoadingProxies_AreAuditedAndLazyLoadedPhiIsRecordedWithItsPatient()
    {
        using var host = new ModelHost<LazyClinicDb>(_database, before: o => o.UseLazyLoadingProxies());
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        using (AccessContext.Begin(AuditHost.Therapist()))
        {
            await using (var context = host.CreateContext())
            {
                context.AddRange(
                    new Chart { Id = a, DisplayName = "A", Ssn = "123-45-6789" },
                    new Chart { Id = b, DisplayName = "B", Ssn = "987-65-4321" },
                    new ChartNote { Id = Guid.NewGuid(), ChartId = a, Text = "first session" },
                    new ChartNote { Id = Guid.NewGuid(), ChartId = a, Text = "second session" },
                    new ChartNote { Id = Guid.NewGuid(), ChartId = b, Text = "intake" });
                await context.SaveChangesAsync();
            }

            var creates = host.Records();
            Assert.Equal(4, creates.Count);
            Assert.All(creates, r => Assert.Equal(AuditAction.Create, r.Action));
            Assert.DoesNotContain(_database.ReadColumn("Charts", "Ssn"), v => v is null || System.Text.Encoding.UTF8.GetString(v).Contains("123-45", StringComparison.Ordinal));

            await using (var context = host.CreateContext())
            {
                var chart = await context.Charts.SingleAsync(c => c.Id == a);
                Assert.NotEqual(typeof(Chart), chart.GetType()); // a proxy
                Assert.Equal("123-45-6789", chart.Ssn);
                var before = host.Records().Count;

                var notes = chart.Notes.ToList(); // lazy load
                Assert.Equal(["first session", "second session"], notes.Select(n => n.Text).Order());
                var lazy = Assert.Single(host.Records().Skip(before));
                Assert.Equal((AuditAction.Read, "ChartNote", a.ToString()), (lazy.Action, lazy.Entity, lazy.PatientId));
                Assert.Equal("ProgressNote", lazy.Categories);

                notes[0].Text = "first session, revised";
                await context.SaveChangesAsync();
            }

            var update = Assert.Single(host.Records(), r => r.Action == AuditAction.Update);
            Assert.Equal(("ChartNote", a.ToString()), (update.Entity, update.PatientId));
            Assert.Equal(["Text"], update.Fields.Split(AuditEntry.ListSeparator));

            await using (var context = host.CreateContext())
            {
                var note = await context.ChartNotes.SingleAsync(n => n.ChartId == b);
                var before = host.Records().Count;
                Assert.Equal("987-65-4321", note.Chart!.Ssn); // lazy load of the principal
                var lazy = Assert.Single(host.Records().Skip(before));
                Assert.Equal((AuditAction.Read, "Chart", b.ToString()), (lazy.Action, lazy.Entity, lazy.PatientId));
            }
        }
    }

    [Fact]
    public void UseHipaa_BeforeUseLazyLoadingProxies_FailsAtFirstUseNamingTheOrder()
    {
        // Proxies would replace the SDK's instantiation binding (no decryption, no read audit): refused, not silent.
        var failure = Assert.Throws<InvalidOperationException>(() => new ModelHost<LazyClinicDb>(_database, after: o => o.UseLazyLoadingProxies()).Dispose());
        Assert.Contains("before UseHipaa(sp)", failure.Message, StringComparison.Ordinal);
    }
}

public sealed class SqliteLazyLoadingProxiesTests() : LazyLoadingProxiesTests("sqlite");

public sealed class PostgresLazyLoadingProxiesTests() : LazyLoadingProxiesTests("postgres");
