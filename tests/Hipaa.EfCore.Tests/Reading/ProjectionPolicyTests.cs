using Hipaa.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading;

/// <summary>
/// A projection is decided by policy like an entity query: the values come from the entity after its decision and
/// redaction, so a role that may not read a category gets no plaintext of it in an anonymous type, a DTO or a scalar.
/// </summary>
public abstract class ProjectionPolicyTests : IDisposable
{
    private readonly TestDatabase _database;

    protected ProjectionPolicyTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Read_ProjectionOfNotesByBilling_ReturnsNoNoteTextAndRecordsTheDenial()
    {
        using var host = new ShapesHost(_database, enforcePolicy: true);
        var billing = new AccessContext(new Actor("u-bill-1", [WellKnownRoles.Billing], "practice"), PurposeOfUse.Payment);
        var before = host.Records().Count;
        using (AccessContext.Begin(billing))
        await using (var context = host.CreateContext())
        {
            var texts = await context.Visits.Select(v => v.Text).ToListAsync();
            var rows = await context.Visits.AsNoTracking().Select(v => new { v.Text, v.Minutes }).ToListAsync();
            Assert.Equal(6, texts.Count);
            Assert.All(texts.Concat(rows.Select(r => r.Text)), text => Assert.DoesNotContain("anxiety", text, StringComparison.Ordinal));
            Assert.All(texts.Concat(rows.Select(r => r.Text)), text => Assert.DoesNotContain("slept", text, StringComparison.Ordinal));
        }

        // Each query decided each patient's visits itself (the second is no-tracking, so it materializes them again).
        var reads = host.Records().Skip(before).Where(r => r.Entity == "Visit").ToList();
        Assert.Equal(6, reads.Count);
        Assert.All(reads, r =>
        {
            Assert.Equal(AuditOutcome.Denied, r.Outcome);
            Assert.NotNull(r.PatientId);
            Assert.Contains("Text", r.RedactedFields, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Read_ProjectionByTheTreatingTherapist_ReturnsTheValues()
    {
        using var host = new ShapesHost(_database, enforcePolicy: true);
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            var texts = await context.Visits.Where(v => v.MemberId == ShapesHost.A).Select(v => v.Text).ToListAsync();
            Assert.Equal(["Ada reported anxiety", "Ada slept better"], texts.Order());
        }
    }
}

public sealed class SqliteProjectionPolicyTests() : ProjectionPolicyTests("sqlite");

public sealed class PostgresProjectionPolicyTests() : ProjectionPolicyTests("postgres");
