using Hipaa.EfCore.Policy;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Hipaa.EfCore.Tests.Policy;

/// <summary>The EF-backed consent store, run against SQLite and against the real PostgreSQL.</summary>
public abstract class EfConsentStoreTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private readonly TestDatabase _database;
    private readonly FakeTimeProvider _time = new(Now);
    private readonly ConsentStoreKeys _keys;

    protected EfConsentStoreTests(string provider)
    {
        _database = TestDatabase.Create(provider);
        _keys = new ConsentStoreKeys(_database, _time);
    }

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task RecordAsync_ThenListAsync_RoundTripsEveryField()
    {
        EfConsentStore store = Store();
        var part2 = new Consent(
            "c-part2", "p1", ConsentKind.Part2, ["org-hospital", "org-lab"], [PurposeOfUse.Treatment, PurposeOfUse.Payment],
            [DataCategory.ProgressNote, DataCategory.Medication],
            new DateTimeOffset(2026, 1, 5, 8, 30, 0, TimeSpan.FromHours(-5)),
            until: new DateTimeOffset(2027, 1, 5, 0, 0, 0, TimeSpan.Zero));
        var tpo = new Consent("c-tpo", "p1", ConsentKind.Part2Tpo, [Consent.AnyRecipient], [PurposeOfUse.Operations], [DataCategory.All], Now.AddDays(-1));
        var expired = new Consent(
            "c-old", "p1", ConsentKind.HipaaAuthorization, ["org-research"], [PurposeOfUse.Research], [DataCategory.Diagnosis],
            Now.AddYears(-2), Now.AddYears(-1), revokedAt: Now.AddYears(-1).AddDays(-3));

        await store.RecordAsync(part2, "u-front");
        await store.RecordAsync(tpo, "u-front");
        await store.RecordAsync(expired, "u-front");
        IReadOnlyList<Consent> listed = await Store().ListAsync("p1");

        Assert.Equal(["c-old", "c-part2", "c-tpo"], listed.Select(c => c.Id).Order(StringComparer.Ordinal));
        AssertSame(part2, listed.Single(c => c.Id == "c-part2"));
        AssertSame(tpo, listed.Single(c => c.Id == "c-tpo"));
        AssertSame(expired, listed.Single(c => c.Id == "c-old"));
        Assert.Equal(DataCategory.All, listed.Single(c => c.Id == "c-tpo").Categories.Single());
    }

    [Fact]
    public async Task ListAsync_OtherPatientsConsents_AreNotReturned()
    {
        EfConsentStore store = Store();
        await store.RecordAsync(Part2("c-1", "p1"), "u-front");
        await store.RecordAsync(Part2("c-1", "p2"), "u-front");

        IReadOnlyList<Consent> p1 = await store.ListAsync("p1");
        IReadOnlyList<Consent> nobody = await store.ListAsync("p-unknown");

        Assert.Equal("p1", Assert.Single(p1).PatientId);
        Assert.Empty(nobody);
    }

    [Fact]
    public async Task RecordAsync_SameIdTwiceForAPatient_ThrowsAndKeepsTheFirst()
    {
        EfConsentStore store = Store();
        await store.RecordAsync(Part2("c-1", "p1"), "u-front");

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            store.RecordAsync(new Consent("c-1", "p1", ConsentKind.HipaaAuthorization, ["org-x"], [PurposeOfUse.Research], [DataCategory.Claim], Now), "u-front"));

        Assert.Contains("'c-1'", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("p1", exception.Message, StringComparison.Ordinal);
        Assert.Equal(ConsentKind.Part2, Assert.Single(await store.ListAsync("p1")).Kind);
        Assert.Single(await store.GetHistoryAsync("p1"));
    }

    [Fact]
    public async Task RevokeAsync_AddsAHistoryRowAndKeepsThePast()
    {
        EfConsentStore store = Store();
        Consent consent = Part2("c-1", "p1");
        await store.RecordAsync(consent, "u-front");
        _time.Advance(TimeSpan.FromDays(3));
        DateTimeOffset revokedAt = Now.AddDays(2);

        Consent revoked = await store.RevokeAsync("p1", "c-1", revokedAt, "u-comp");
        IReadOnlyList<ConsentChange> history = await Store().GetHistoryAsync("p1");

        Assert.Equal(revokedAt, revoked.RevokedAt);
        Assert.Equal(revokedAt, Assert.Single(await store.ListAsync("p1")).RevokedAt);
        Assert.Equal([ConsentChangeKind.Recorded, ConsentChangeKind.Revoked], history.Select(h => h.Kind));
        Assert.Null(history[0].Consent.RevokedAt);
        Assert.Equal(Now, history[0].ChangedAt);
        Assert.Equal("u-front", history[0].ChangedBy);
        Assert.Equal(revokedAt, history[1].Consent.RevokedAt);
        Assert.Equal(Now.AddDays(3), history[1].ChangedAt);
        Assert.Equal("u-comp", history[1].ChangedBy);
        AssertSame(consent, history[0].Consent);
        Assert.Equal(2, Count(ConsentStoreDbContext.HistoryTable));
        Assert.Equal(1, Count(ConsentStoreDbContext.ConsentsTable));
    }

    [Fact]
    public async Task RevokeAsync_AlreadyRevokedOrUnknown_Throws()
    {
        EfConsentStore store = Store();
        await store.RecordAsync(Part2("c-1", "p1"), "u-front");
        await store.RevokeAsync("p1", "c-1", Now.AddDays(1), "u-comp");

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.RevokeAsync("p1", "c-1", Now.AddDays(2), "u-comp"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.RevokeAsync("p1", "c-missing", Now, "u-comp"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.RevokeAsync("p2", "c-1", Now, "u-comp"));
        Assert.Equal(Now.AddDays(1), Assert.Single(await store.ListAsync("p1")).RevokedAt);
        Assert.Equal(2, (await store.GetHistoryAsync("p1")).Count);
    }

    [Fact]
    public async Task RevokeAsync_ConcurrentRevocations_ExactlyOneTakesEffect()
    {
        await Store().RecordAsync(Part2("c-1", "p1"), "u-front");

        Task<Consent>[] attempts = [.. Enumerable.Range(0, 6).Select(i => Task.Run(() => Store().RevokeAsync("p1", "c-1", Now.AddHours(i + 1), $"u-{i}")))];
        Exception? ignored = await Record.ExceptionAsync(() => Task.WhenAll(attempts));

        Assert.NotNull(ignored);
        Task<Consent> winner = Assert.Single(attempts, a => a.IsCompletedSuccessfully);
        Assert.All(attempts.Where(a => a != winner), a => Assert.IsType<InvalidOperationException>(a.Exception!.InnerException));
        Consent revoked = await winner;
        IReadOnlyList<ConsentChange> history = await Store().GetHistoryAsync("p1");
        ConsentChange revocation = Assert.Single(history, h => h.Kind == ConsentChangeKind.Revoked);
        Assert.Equal(revoked.RevokedAt, revocation.Consent.RevokedAt);
        Assert.Equal(revoked.RevokedAt, Assert.Single(await Store().ListAsync("p1")).RevokedAt);
    }

    [Fact]
    public async Task ListAsync_HandedToTheEngine_RevocationTakesEffectForLaterRequestsOnly()
    {
        EfConsentStore store = Store();
        await store.RecordAsync(Part2("c-1", "p1"), "u-front");
        DateTimeOffset revokedAt = Now.AddDays(10);
        await store.RevokeAsync("p1", "c-1", revokedAt, "u-comp");
        IReadOnlyList<Consent> consents = await Store().ListAsync("p1");

        AccessDecision before = PolicyEngine.Default.Decide(Disclosure(consents, revokedAt.AddTicks(-10)));
        AccessDecision after = PolicyEngine.Default.Decide(Disclosure(consents, revokedAt));

        Assert.True(before.IsPermitted);
        Assert.Equal("c-1", before.ConsentId);
        Assert.Equal([Obligation.RedisclosureNotice, Obligation.AccountDisclosure], before.Obligations);
        Assert.False(after.IsPermitted);
        Assert.Equal("disclosure.part2-consent-required", after.Rule.Id);
    }

    [Fact]
    public async Task OpenAsync_TablesMissing_CreatesThemBesideOtherTablesOfTheDatabase()
    {
        _database.Execute("CREATE TABLE app_patients (id integer primary key)");

        await Store().RecordAsync(Part2("c-1", "p1"), "u-front");

        Assert.Equal(1, Count(ConsentStoreDbContext.ConsentsTable));
        Assert.Equal(1, Count(ConsentStoreDbContext.HistoryTable));
        Assert.Equal(0, Count("app_patients"));
    }

    [Fact]
    public async Task Arguments_BlankIds_AreRejected()
    {
        EfConsentStore store = Store();

        await Assert.ThrowsAsync<ArgumentException>(() => store.RecordAsync(Part2("c-1", "p1"), " "));
        await Assert.ThrowsAsync<ArgumentNullException>(() => store.RecordAsync(null!, "u-front"));
        await Assert.ThrowsAsync<ArgumentException>(() => store.ListAsync(""));
        await Assert.ThrowsAsync<ArgumentException>(() => store.RevokeAsync("p1", "c-1", Now, ""));
    }

    private static Consent Part2(string id, string patientId) =>
        new(id, patientId, ConsentKind.Part2, ["org-hospital"], [PurposeOfUse.Treatment], [DataCategory.ProgressNote], Now.AddDays(-30));

    private static AccessRequest Disclosure(IReadOnlyList<Consent> consents, DateTimeOffset at) => new()
    {
        Actor = new Actor("u-ther", [WellKnownRoles.Therapist], "practice", ["p1"]),
        PatientId = "p1",
        Category = DataCategory.ProgressNote,
        Labels = [SensitivityLabel.SubstanceUseDisorder],
        Action = PhiAction.Disclose,
        Purpose = PurposeOfUse.Treatment,
        Recipient = "org-hospital",
        Consents = consents,
        At = at,
    };

    private static void AssertSame(Consent expected, Consent actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.PatientId, actual.PatientId);
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.Recipients, actual.Recipients);
        Assert.Equal(expected.Purposes, actual.Purposes);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.Equal(expected.From, actual.From);
        Assert.Equal(expected.Until, actual.Until);
        Assert.Equal(expected.RevokedAt, actual.RevokedAt);
    }

    private EfConsentStore Store() => _keys.Store();

    private long Count(string table)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM \"{table}\"";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

public sealed class SqliteEfConsentStoreTests() : EfConsentStoreTests("sqlite");

public sealed class PostgresEfConsentStoreTests() : EfConsentStoreTests("postgres");
