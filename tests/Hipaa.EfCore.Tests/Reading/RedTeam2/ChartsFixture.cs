using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Auditing.Integrity;
using Hipaa.EfCore.Auditing.Reports;
using Hipaa.EfCore.LoadDriver;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.Tests.Reading.RedTeam2;

/// <summary>
/// Helpers of the red-team tests over <see cref="ChartsDb"/>: seed charts with chosen patient ids, read them as one page
/// (one record naming every patient), seal, verify and ask who accessed a patient.
/// </summary>
public abstract class ChartsFixture : IDisposable
{
    protected ChartsFixture(string provider)
    {
        Provider = provider;
        Database = TestDatabase.Create(provider);
    }

    protected string Provider { get; }

    internal TestDatabase Database { get; }

    public void Dispose()
    {
        Database.Dispose();
        GC.SuppressFinalize(this);
    }

    internal static AccessContext Therapist => new(new Actor("u-ther-1", [WellKnownRoles.Therapist], "practice"), PurposeOfUse.Treatment);

    internal ModelHost<ChartsDb> Seed(params string[] patientIds)
    {
        var host = new ModelHost<ChartsDb>(Database);
        using (AccessContext.Begin(Therapist))
        using (var db = host.CreateContext())
        {
            db.Charts.AddRange(patientIds.Select(id => new Chart { Id = id, Name = "chart of " + id.Length }));
            db.SaveChanges();
        }

        return host;
    }

    /// <summary>
    /// Seeds charts with plain SQL, as rows an EHR imported: an id the audit table's <c>patient_id</c> column cannot hold
    /// would make the seeding SaveChanges (whose write records name each patient) fail on PostgreSQL.
    /// </summary>
    internal ModelHost<ChartsDb> SeedWithSql(params string[] patientIds)
    {
        var host = new ModelHost<ChartsDb>(Database);
        foreach (var id in patientIds)
        {
            Database.Execute("INSERT INTO \"Charts\" (\"Id\", \"Name\") VALUES (@id, 'imported')", ("@id", id));
        }

        return host;
    }

    /// <summary>Reads every chart in one query (one read-ahead batch: one commit, one record naming every patient).</summary>
    internal static async Task<List<Chart>> ReadAllAsync(ModelHost<ChartsDb> host)
    {
        using (AccessContext.Begin(Therapist))
        await using (var db = host.CreateContext())
        {
            return await db.Charts.AsNoTracking().ToListAsync();
        }
    }

    internal static async Task<IReadOnlyList<AuditRecord>> WhoAccessedAsync(ModelHost<ChartsDb> host, string patientId, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        using (AccessContext.Begin(AccessContext.ForSystem("who-accessed-test", PurposeOfUse.Oversight)))
        {
            return await host.Services.GetRequiredService<AuditReports>().WhoAccessedAsync(patientId, from, to);
        }
    }

    /// <summary>Whether the who-accessed report of <paramref name="patientId"/> holds a read of a chart.</summary>
    internal static async Task<bool> ReportShowsChartReadAsync(ModelHost<ChartsDb> host, string patientId) =>
        (await WhoAccessedAsync(host, patientId)).Any(r => r.Action == AuditAction.Read && r.Entity == nameof(Chart));

    internal static async Task SealAllAsync(ModelHost<ChartsDb> host)
    {
        using var signer = LocalDevelopmentCheckpointSigner.OpenOrCreate(LoadHost.SignerPath);
        using var sealer = new AuditSealer(host.Services.GetRequiredService<AuditRuntime>().StoreOptions, signer, TimeProvider.System);
        while ((await sealer.SealAsync(5_000)).RecordsSealed > 0)
        {
        }
    }

    internal static async Task<AuditVerificationResult> VerifyAsync(ModelHost<ChartsDb> host)
    {
        using var signer = LocalDevelopmentCheckpointSigner.OpenOrCreate(LoadHost.SignerPath);
        using var keys = CheckpointSignatureVerifier.FromSigner(signer);
        return await new AuditVerifier(host.Services.GetRequiredService<AuditRuntime>().StoreOptions, TimeProvider.System, new AuditVerificationOptions { Signatures = keys }).VerifyAsync();
    }
}
