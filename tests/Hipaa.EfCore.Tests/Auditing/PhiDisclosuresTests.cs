using Hipaa.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Policy;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.Tests.Auditing;

/// <summary>Disclosures are decided by the policy engine and entered in the disclosure log, permitted or not.</summary>
public sealed class PhiDisclosuresTests : IDisposable
{
    private readonly TestDatabase _database = TestDatabase.Create("sqlite");

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task DecideAndRecord_Part2RecordUnderAConsentNamingTheRecipient_PermitsWithTheRedisclosureNoticeAndLogsIt()
    {
        var consent = new Consent("c-1", "p1", ConsentKind.Part2, ["county-clinic"], [PurposeOfUse.Treatment], [DataCategory.ProgressNote], DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        using var provider = Services(new FixedConsentStore(consent));
        var disclosures = provider.GetRequiredService<PhiDisclosures>();
        var psychiatrist = AuditHost.As("u-psy-1", WellKnownRoles.Psychiatrist, PurposeOfUse.Treatment, "p1", "p2");

        AccessDecision permitted, denied;
        using (AccessContext.Begin(psychiatrist))
        {
            permitted = await disclosures.DecideAndRecordAsync(Request("p1"));
            denied = await disclosures.DecideAndRecordAsync(Request("p2"));
        }

        Assert.True(permitted.IsPermitted);
        Assert.Equal([Obligation.RedisclosureNotice, Obligation.AccountDisclosure], permitted.Obligations.Order());
        Assert.False(denied.IsPermitted);

        var records = Records();
        var logged = Assert.Single(records, r => r.PatientId == "p1");
        Assert.Equal((AuditAction.Disclose, AuditOutcome.Success, "county-clinic", "Progress notes, March 2026"), (logged.Action, logged.Outcome, logged.Recipient, logged.Description));
        Assert.Equal("SUD", logged.Labels);
        Assert.Contains("RedisclosureNotice", logged.Decision, StringComparison.Ordinal);
        Assert.Equal(AuditOutcome.Denied, Assert.Single(records, r => r.PatientId == "p2").Outcome);
    }

    [Fact]
    public async Task DecideAndRecord_WithoutAnAccessContext_FailsAndLogsNothing()
    {
        using var provider = Services(new FixedConsentStore());
        await Assert.ThrowsAsync<InvalidOperationException>(() => provider.GetRequiredService<PhiDisclosures>().DecideAndRecordAsync(Request("p1")));
        Assert.Empty(Records());
    }

    private static DisclosureRequest Request(string patient) => new()
    {
        PatientId = patient,
        Category = DataCategory.ProgressNote,
        Labels = [SensitivityLabel.SubstanceUseDisorder],
        Recipient = "county-clinic",
        Description = "Progress notes, March 2026",
    };

    private ServiceProvider Services(IConsentStore consents)
    {
        var services = new ServiceCollection();
        services.AddSingleton(consents);
        services.AddHipaa().AddQueryAuditing().UseAuditStore(_database.Use).UseLocalDevelopmentCheckpointSigner(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath);
        var provider = services.BuildServiceProvider();
        var options = new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<Hipaa.EfCore.Auditing.AuditDbContext>();
        _database.Use(options);
        using var audit = new Hipaa.EfCore.Auditing.AuditDbContext(options.Options);
        audit.Database.EnsureCreated();
        return provider;
    }

    private List<Hipaa.EfCore.Auditing.AuditEntry> Records()
    {
        var options = new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<Hipaa.EfCore.Auditing.AuditDbContext>();
        _database.Use(options);
        using var audit = new Hipaa.EfCore.Auditing.AuditDbContext(options.Options);
        return [.. audit.Entries.OrderBy(e => e.Id)];
    }

    private sealed class FixedConsentStore(params Consent[] consents) : IConsentStore
    {
        public Task RecordAsync(Consent consent, string recordedBy, CancellationToken cancellationToken = default) => throw new NotSupportedException("Read-only test store.");

        public Task<Consent> RevokeAsync(string patientId, string consentId, DateTimeOffset revokedAt, string revokedBy, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("Read-only test store.");

        public Task<IReadOnlyList<Consent>> ListAsync(string patientId, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<Consent>>([.. consents.Where(c => c.PatientId == patientId)]);

        public Task<IReadOnlyList<ConsentChange>> GetHistoryAsync(string patientId, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<ConsentChange>>([]);
    }
}
