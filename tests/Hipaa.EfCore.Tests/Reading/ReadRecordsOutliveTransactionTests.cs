using Hipaa.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading;

/// <summary>
/// A read's records are durable whether or not the caller's transaction commits; a write's records commit or roll back
/// with the write. The case that lost them: <c>using var tx = BeginTransaction()</c>, a read, then an exception, so the
/// transaction is disposed without commit or rollback.
/// </summary>
public abstract class ReadRecordsOutliveTransactionTests : IDisposable
{
    private readonly TestDatabase _database;

    protected ReadRecordsOutliveTransactionTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Read_InATransactionDisposedWithoutCommit_StaysRecordedAndTheWriteDoesNot(bool writeFirst, bool async)
    {
        using var host = new ShapesHost(_database);
        var before = host.Records().Count;
        List<string> kept = [];
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            try
            {
                if (async)
                {
                    await using var transaction = await context.Database.BeginTransactionAsync();
                    await WorkAsync(context, writeFirst, kept);
                    throw new TimeoutException("the caller fails before committing");
                }
                else
                {
                    using var transaction = context.Database.BeginTransaction();
                    await WorkAsync(context, writeFirst, kept);
                    throw new TimeoutException("the caller fails before committing");
                }
            }
            catch (TimeoutException)
            {
            }
        }

        Assert.Equal(2, kept.Count); // the caller kept what it read …
        var records = host.Records().Skip(before).ToList();
        var read = Assert.Single(records, r => r.Action == AuditAction.Read && r.Entity == "Visit");
        Assert.Equal((ShapesHost.A.ToString(), "u-ther-1"), (read.PatientId, read.ActorId)); // … and the read stays recorded
        Assert.Equal(writeFirst ? 1 : 0, records.Count(r => r.Action == AuditAction.Read && r.Entity == "Member"));
        Assert.DoesNotContain(records, r => r.Action == AuditAction.Update); // the write rolled back with its record

        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            Assert.Equal("Ada", (await context.Members.AsNoTracking().SingleAsync(m => m.Id == ShapesHost.A)).Name);
        }
    }

    private static async Task WorkAsync(ShapesDb context, bool writeFirst, List<string> kept)
    {
        if (writeFirst)
        {
            var member = await context.Members.SingleAsync(m => m.Id == ShapesHost.A);
            member.Name = "Ada renamed";
            await context.SaveChangesAsync();
            context.ChangeTracker.Clear();
        }

        kept.AddRange(await context.Visits.AsNoTracking().Where(v => v.MemberId == ShapesHost.A).Select(v => v.Text).ToListAsync());
    }
}

public sealed class SqliteReadRecordsOutliveTransactionTests() : ReadRecordsOutliveTransactionTests("sqlite");

public sealed class PostgresReadRecordsOutliveTransactionTests() : ReadRecordsOutliveTransactionTests("postgres");
