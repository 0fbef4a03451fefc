using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading;

/// <summary>
/// The default <see cref="ReadAuditCommit.PerBatch"/>: a query reads ahead a batch of results, commits all their records
/// in one group commit and only then hands them out — one commit for a buffered page however many patients it holds,
/// one per batch for a stream, and nothing handed out of a batch whose records are not durable.
/// </summary>
public abstract class ReadAheadBatchTests : IDisposable
{
    private readonly TestDatabase _database;

    protected ReadAheadBatchTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Read_PageOfAHundredPatients_ByDefault_MakesOneCommitAndRecordsEveryPatient()
    {
        using var host = new ShapesHost(_database);
        await AddMembersAsync(host, 97);
        Assert.Equal(ReadAuditCommit.PerBatch, host.Runtime.Options.ReadAuditCommit);
        var before = host.Records().Count;
        var commits = host.Runtime.Writer.Transactions;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            Assert.Equal(100, (await context.Members.AsNoTracking().ToListAsync()).Count);
            Assert.Equal(1, host.Runtime.Writer.Transactions - commits);

            commits = host.Runtime.Writer.Transactions;
            Assert.Equal(100, (await context.Members.AsNoTracking().Select(m => new { m.Name, m.Home }).ToListAsync()).Count);
            Assert.Equal(100, context.Members.AsNoTracking().Select(m => m.Name).ToList().Count);
            Assert.Equal(2, host.Runtime.Writer.Transactions - commits);
        }

        var reads = host.Records().Skip(before).ToList();
        Assert.Equal(300, reads.Count);
        Assert.Equal(100, reads.Select(r => r.PatientId).Distinct().Count());
    }

    [Fact]
    public async Task Read_Streamed_CommitsEachBatchBeforeItsFirstResultLeaves()
    {
        using var host = new ShapesHost(_database, o => o.ReadAheadRows = 2);
        await AddMembersAsync(host, 2); // five members: batches of 2, 2 and 1
        var before = host.Records().Count;
        var commits = host.Runtime.Writer.Transactions;
        var recordedWhenHandedOut = new List<int>();
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            await foreach (var member in context.Members.AsNoTracking().OrderBy(m => m.Id).AsAsyncEnumerable())
            {
                recordedWhenHandedOut.Add(host.Records().Count - before);
            }
        }

        Assert.Equal([2, 2, 4, 4, 5], recordedWhenHandedOut);
        Assert.Equal(3, host.Runtime.Writer.Transactions - commits);
    }

    [Fact]
    public async Task Read_SingleResultsAndAggregates_AreDurableBeforeTheyReturn()
    {
        using var host = new ShapesHost(_database);
        var before = host.Records().Count;
        var commits = host.Runtime.Writer.Transactions;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            var first = await context.Visits.AsNoTracking().Where(v => v.MemberId == ShapesHost.B).Select(v => v.Text).FirstAsync();
            Assert.StartsWith("Bea", first, StringComparison.Ordinal);
            Assert.Equal(before + 1, host.Records().Count);
            Assert.Equal(6, await context.Visits.CountAsync());
            Assert.Equal(before + 2, host.Records().Count);
            Assert.Equal("Cy", context.Members.AsNoTracking().Single(m => m.Id == ShapesHost.C).Name);
            Assert.Equal(before + 3, host.Records().Count);
        }

        Assert.Equal(3, host.Runtime.Writer.Transactions - commits);
    }

    [Fact]
    public async Task Read_WhenTheAuditStoreIsDown_HandsOutNoResultOfTheBatch()
    {
        using (new ShapesHost(_database))
        {
        }

        var unreachable = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "audit.db");
        using var host = new ShapesHost(_database, auditStore: o => o.UseSqlite($"Data Source={unreachable};Mode=ReadWrite"));
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            var received = 0;
            await Assert.ThrowsAsync<AuditUnavailableException>(async () =>
            {
                await foreach (var text in context.Visits.AsNoTracking().Select(v => v.Text).AsAsyncEnumerable())
                {
                    received++;
                }
            });
            Assert.Equal(0, received);
            await Assert.ThrowsAsync<AuditUnavailableException>(() => context.Visits.AsNoTracking().FirstAsync());
            Assert.Throws<AuditUnavailableException>(() => context.Members.AsNoTracking().ToList());
        }
    }

    private static async Task AddMembersAsync(ShapesHost host, int count)
    {
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            for (var i = 0; i < count; i++)
            {
                context.Members.Add(new Member { Id = Guid.CreateVersion7(), Name = "Member " + i, BirthYear = 1990, Home = new Address { Street = i + " Main St", City = "Springfield" } });
            }

            await context.SaveChangesAsync();
        }
    }
}

public sealed class SqliteReadAheadBatchTests() : ReadAheadBatchTests("sqlite");

public sealed class PostgresReadAheadBatchTests() : ReadAheadBatchTests("postgres");
