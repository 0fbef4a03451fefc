using Hipaa.Auditing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hipaa.EfCore.Tests.Reading.RedTeam;

/// <summary>
/// A read's records outlive the caller's transaction. On SQLite a read inside the caller's transaction is recorded inside
/// it and appended again when it rolls back; here the transaction is the application's own (<c>UseTransaction</c> of a
/// <c>DbTransaction</c> it began on the connection) and is rolled back behind EF Core's back.
/// </summary>
public abstract class TransactionAttackTests(string provider) : RedTeamFixture(provider)
{
    [Fact]
    public async Task Read_InsideAnExternalTransactionRolledBackOnTheConnection_StaysRecorded()
    {
        using var host = new ShapesHost(Database);
        var before = host.Records().Count;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            await context.Database.OpenConnectionAsync();
            var connection = context.Database.GetDbConnection();
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                await context.Database.UseTransactionAsync(transaction);
                Assert.Equal(2, (await context.Visits.AsNoTracking().Where(v => v.MemberId == ShapesHost.B).ToListAsync()).Count);
                await transaction.RollbackAsync();
            }
        }

        var reads = host.Records().Skip(before).ToList();
        Assert.Equal([("Visit", B)], Attributed(reads));
        Assert.All(reads, r => Assert.Equal(AuditAction.Read, r.Action));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Read_InsideAnExternalTransactionCommitted_IsRecordedOnce(bool commitAfterTheContextIsDisposed)
    {
        using var host = new ShapesHost(Database);
        var before = host.Records().Count;
        await using var connection = Database.OpenConnection();
        await using var transaction = await connection.BeginTransactionAsync();
        using (AccessContext.Begin(ShapesHost.Therapist()))
        {
            await using (var context = host.CreateContext())
            {
                context.Database.SetDbConnection(connection);
                await context.Database.UseTransactionAsync(transaction);
                Assert.Equal(2, (await context.Visits.AsNoTracking().Where(v => v.MemberId == ShapesHost.A).ToListAsync()).Count);
                if (!commitAfterTheContextIsDisposed)
                {
                    await transaction.CommitAsync();
                }
            }

            if (commitAfterTheContextIsDisposed)
            {
                await transaction.CommitAsync();
            }
        }

        var read = Assert.Single(host.Records().Skip(before));
        Assert.Equal((AuditAction.Read, "Visit", A), (read.Action, read.Entity, read.PatientId));
    }

    [Fact]
    public async Task Read_InsideAnEfTransactionRolledBack_StaysRecordedOnce()
    {
        using var host = new ShapesHost(Database);
        var before = host.Records().Count;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            await using var transaction = await context.Database.BeginTransactionAsync();
            Assert.Equal(2, (await context.Visits.AsNoTracking().Where(v => v.MemberId == ShapesHost.C).ToListAsync()).Count);
            await transaction.RollbackAsync();
        }

        var read = Assert.Single(host.Records().Skip(before));
        Assert.Equal((AuditAction.Read, "Visit", C), (read.Action, read.Entity, read.PatientId));
    }

    [Fact]
    public async Task Read_InsideAnEfTransactionLeftOpenWhenTheContextIsDisposed_StaysRecordedOnce()
    {
        // The transaction is never disposed by the application: disposing the context rolls it back.
        using var host = new ShapesHost(Database);
        var before = host.Records().Count;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        {
            var context = host.CreateContext();
            _ = await context.Database.BeginTransactionAsync();
            Assert.Equal(2, (await context.Visits.AsNoTracking().Where(v => v.MemberId == ShapesHost.A).ToListAsync()).Count);
            await context.DisposeAsync();
        }

        var read = Assert.Single(host.Records().Skip(before));
        Assert.Equal((AuditAction.Read, "Visit", A), (read.Action, read.Entity, read.PatientId));
    }
}

public sealed class SqliteTransactionAttackTests() : TransactionAttackTests("sqlite");

public sealed class PostgresTransactionAttackTests() : TransactionAttackTests("postgres");
