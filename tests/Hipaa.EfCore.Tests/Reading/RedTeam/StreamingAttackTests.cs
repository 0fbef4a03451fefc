using Hipaa.Auditing;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam;

/// <summary>
/// Streamed reads (<c>await foreach</c>, <c>foreach</c>) that the caller stops early — a <c>break</c>, an exception in the
/// loop body — under the default read-ahead of <see cref="Hipaa.EfCore.Auditing.ReadAuditCommit.PerBatch"/> with a
/// batch smaller than the result: nothing the caller saw may be left without a durable record, unattributed reads
/// included (their record was made only when the reader closed).
/// </summary>
public abstract class StreamingAttackTests(string provider) : RedTeamFixture(provider)
{
    [Fact]
    public async Task Stream_UnattributedReadLongerThanABatch_IsRecordedBeforeItsFirstValueLeaves()
    {
        using var host = new ShapesHost(Database, o => o.ReadAheadRows = 2);
        var before = host.Records().Count;
        var recordedAtFirst = -1;
        var received = 0;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            await foreach (var row in context.Visits.Select(v => new { v.Text }).OrderBy(x => x.Text).AsAsyncEnumerable())
            {
                if (received++ == 0)
                {
                    recordedAtFirst = host.Records().Count - before;
                }
            }
        }

        Assert.Equal(6, received);
        Assert.Equal(1, recordedAtFirst);
        Assert.Equal([(AuditAction.Read, "Visit", 6)], Unattributed(host.Records().Skip(before)));
    }

    [Fact]
    public async Task Stream_UnattributedReadStoppedByBreak_LeavesItsRecord()
    {
        using var host = new ShapesHost(Database, o => o.ReadAheadRows = 2);
        var before = host.Records().Count;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            await foreach (var text in context.Database.SqlQueryRaw<string>("SELECT \"Text\" AS \"Value\" FROM \"Visits\"").AsAsyncEnumerable())
            {
                Assert.NotEmpty(text);
                break;
            }
        }

        Assert.Equal([(AuditAction.Read, "Visit", 6)], Unattributed(host.Records().Skip(before)));
    }

    [Fact]
    public async Task Stream_UnattributedReadStoppedByAnException_LeavesItsRecord()
    {
        using var host = new ShapesHost(Database, o => o.ReadAheadRows = 2);
        var before = host.Records().Count;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            await Assert.ThrowsAsync<TimeoutException>(async () =>
            {
                foreach (var row in context.Visits.GroupBy(v => v.Text).Select(g => new { g.Key, N = g.Count() }))
                {
                    await Task.Yield();
                    throw new TimeoutException(row.Key);
                }
            });
        }

        Assert.Equal([(AuditAction.Read, "Visit", 6)], Unattributed(host.Records().Skip(before)));
    }

    [Fact]
    public async Task Stream_AttributedReadStoppedByBreak_RecordsThePatientsOfTheBatchHandedOut()
    {
        using var host = new ShapesHost(Database, o => o.ReadAheadRows = 2);
        var before = host.Records().Count;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            await foreach (var row in context.Members.OrderBy(m => m.Name).Select(m => new { m.Name }).AsAsyncEnumerable())
            {
                Assert.Equal("Ada", row.Name);
                break;
            }
        }

        var reads = host.Records().Skip(before).ToList();
        Assert.Equal([("Member", A), ("Member", B)], Attributed(reads));
        Assert.Empty(Unattributed(reads));
    }
}

public sealed class SqliteStreamingAttackTests() : StreamingAttackTests("sqlite");

public sealed class PostgresStreamingAttackTests() : StreamingAttackTests("postgres");
