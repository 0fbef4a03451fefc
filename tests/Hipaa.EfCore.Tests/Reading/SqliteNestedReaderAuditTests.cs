using Hipaa.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading;

/// <summary>
/// A query run inside the loop over another query's open reader, on one context. SQLite allows several open readers on a
/// connection; PostgreSQL (Npgsql, without multiplexing) refuses the inner command outright, so there is nothing to audit there.
/// </summary>
public sealed class SqliteNestedReaderAuditTests : IDisposable
{
    private static readonly string A = ShapesHost.A.ToString(), B = ShapesHost.B.ToString(), C = ShapesHost.C.ToString();
    private readonly TestDatabase _database = TestDatabase.Create("sqlite");

    public void Dispose() => _database.Dispose();

    [Theory]
    [InlineData(ReadAuditCommit.PerPatient)]
    [InlineData(ReadAuditCommit.PerQuery)]
    public async Task Read_AnotherQueryInsideAStreamedQuerysLoop_KeepsTheOuterQuerysRecords(ReadAuditCommit commit)
    {
        using var host = new ShapesHost(_database, o => o.ReadAuditCommit = commit);
        var before = host.Records().Count;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            var texts = 0;
            await foreach (var text in context.Visits.Select(v => v.Text).AsAsyncEnumerable())
            {
                texts++;
                _ = await context.Members.AsNoTracking().Where(m => m.Id == ShapesHost.A).Select(m => m.Name).SingleAsync();
            }

            Assert.Equal(6, texts);

            // An outer query that cannot be attributed keeps its unattributed record too.
            var distinct = 0;
            await foreach (var text in context.Visits.Select(v => v.Text).Distinct().AsAsyncEnumerable())
            {
                distinct++;
                _ = await context.Members.AsNoTracking().Where(m => m.Id == ShapesHost.B).Select(m => m.Name).SingleAsync();
            }

            Assert.Equal(6, distinct);
        }

        var reads = host.Records().Skip(before).ToList();
        Assert.Equal([A, B, C], reads.Where(r => r.Entity == "Visit" && r.PatientId is not null).Select(r => r.PatientId!).Order());
        var unattributed = Assert.Single(reads, r => r.PatientId is null);
        Assert.Equal(("Visit", 6), (unattributed.Entity, unattributed.RowCount));
        Assert.Contains(reads, r => r.Entity == "Member" && r.PatientId == A);
        Assert.Contains(reads, r => r.Entity == "Member" && r.PatientId == B);
    }

}
