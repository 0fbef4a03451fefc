using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Auditing;

/// <summary>
/// The application reading or changing the audit trail's own tables with raw SQL through its context: an access to the
/// audit log, recorded like a PHI access (the CLI's reports record theirs); without an access context, refused.
/// </summary>
public abstract class AuditLogRawSqlTests : IDisposable
{
    private readonly TestDatabase _database;

    protected AuditLogRawSqlTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task SqlQueryRaw_OfTheAuditTable_IsRecordedAsAnAuditLogRead()
    {
        using var host = new AuditHost(_database);
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            context.Add(new Patient { Id = Guid.NewGuid(), DisplayName = "A" });
            await context.SaveChangesAsync();
        }

        var before = host.Records().Count;
        using (AccessContext.Begin(AuditHost.As("u-compliance-1", Hipaa.Policy.WellKnownRoles.ComplianceOfficer, Hipaa.Policy.PurposeOfUse.Operations)))
        await using (var context = host.CreateContext())
        {
            var actors = await context.Database.SqlQueryRaw<string>("SELECT actor_id AS \"Value\" FROM hipaa_audit").ToListAsync();
            Assert.Equal(before, actors.Count);
        }

        var read = Assert.Single(host.Records().Skip(before));
        Assert.Equal((AuditAction.Read, "AuditLog", "u-compliance-1", null), (read.Action, read.Categories, read.ActorId, read.PatientId));
        Assert.Equal(before, read.RowCount);
    }

    [Fact]
    public async Task SqlQueryRaw_OfTheAuditTableWithoutAnAccessContext_IsRefused()
    {
        using var host = new AuditHost(_database);
        await using var context = host.CreateContext();
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => context.Database.SqlQueryRaw<string>("select actor_id as \"Value\" from HIPAA_AUDIT").ToListAsync());
        Assert.Contains("AccessContext.Begin", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteSqlRaw_ChangingTheAuditTable_IsRecordedAsTheWriteItIs()
    {
        using var host = new AuditHost(_database);
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            context.Add(new Patient { Id = Guid.NewGuid(), DisplayName = "A" });
            await context.SaveChangesAsync();
            var before = host.Records().Count;
            Assert.Equal(before, await context.Database.ExecuteSqlRawAsync("UPDATE hipaa_audit SET client_address = '203.0.113.9'"));
            var write = Assert.Single(host.Records().Skip(before));
            Assert.Equal((AuditAction.Update, "AuditLog", before), (write.Action, write.Categories, write.RowCount));
        }
    }
}

public sealed class SqliteAuditLogRawSqlTests() : AuditLogRawSqlTests("sqlite");

public sealed class PostgresAuditLogRawSqlTests() : AuditLogRawSqlTests("postgres");
