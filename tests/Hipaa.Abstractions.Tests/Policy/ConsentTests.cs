using Hipaa.Policy;

namespace Hipaa.Tests.Policy;

public sealed class ConsentTests
{
    private static readonly DateTimeOffset s_from = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void IsValidAt_WindowBoundaries_FromInclusiveUntilAndRevocationExclusive()
    {
        Consent consent = Make(until: s_from.AddDays(10), revokedAt: s_from.AddDays(5));

        Assert.False(consent.IsValidAt(s_from.AddTicks(-1)));
        Assert.True(consent.IsValidAt(s_from));
        Assert.True(consent.IsValidAt(s_from.AddDays(5).AddTicks(-1)));
        Assert.False(consent.IsValidAt(s_from.AddDays(5)));
        Assert.False(Make(until: s_from.AddDays(10)).IsValidAt(s_from.AddDays(10)));
        Assert.True(Make().IsValidAt(s_from.AddYears(50)));
    }

    [Fact]
    public void IsValidAt_EmptyWindow_IsNeverValidButIsKept()
    {
        Consent consent = Make(until: s_from.AddDays(-1));

        Assert.False(consent.IsValidAt(s_from));
        Assert.False(consent.IsValidAt(s_from.AddDays(-2)));
    }

    [Fact]
    public void Revoke_ValidConsent_ReturnsACopyRevokedFromThatTimeOn()
    {
        Consent original = Make();

        Consent revoked = original.Revoke(s_from.AddDays(3));

        Assert.Null(original.RevokedAt);
        Assert.Equal(s_from.AddDays(3), revoked.RevokedAt);
        Assert.Equal(original.Id, revoked.Id);
        Assert.Equal(original.Recipients, revoked.Recipients);
        Assert.True(revoked.IsValidAt(s_from.AddDays(2)));
        Assert.False(revoked.IsValidAt(s_from.AddDays(3)));
    }

    [Fact]
    public void Revoke_AlreadyRevoked_Throws()
    {
        Consent revoked = Make(revokedAt: s_from.AddDays(1));

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => revoked.Revoke(s_from.AddDays(2)));
        Assert.Contains("already revoked", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Covers_WildcardsAndExactNames_MatchOrdinally()
    {
        Consent named = Make(recipients: ["org-hospital"], categories: [DataCategory.ProgressNote]);
        Consent wildcards = Make(recipients: [Consent.AnyRecipient], categories: [DataCategory.All]);

        Assert.True(named.Covers("org-hospital", PurposeOfUse.Treatment, DataCategory.ProgressNote));
        Assert.False(named.Covers("ORG-HOSPITAL", PurposeOfUse.Treatment, DataCategory.ProgressNote));
        Assert.False(named.Covers("org-hospital", PurposeOfUse.Payment, DataCategory.ProgressNote));
        Assert.False(named.Covers("org-hospital", PurposeOfUse.Treatment, DataCategory.Diagnosis));
        Assert.False(named.Covers(null, PurposeOfUse.Treatment, DataCategory.ProgressNote));
        Assert.True(wildcards.Covers("anyone", PurposeOfUse.Treatment, DataCategory.Claim));
    }

    [Fact]
    public void Constructor_MalformedArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => new Consent(" ", "p1", ConsentKind.Part2, [], [], [], s_from));
        Assert.Throws<ArgumentException>(() => new Consent("c1", "", ConsentKind.Part2, [], [], [], s_from));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Consent("c1", "p1", (ConsentKind)0, [], [], [], s_from));
        Assert.Throws<ArgumentException>(() => new Consent("c1", "p1", ConsentKind.Part2, [""], [], [], s_from));
        Assert.Throws<ArgumentException>(() => new Consent("c1", "p1", ConsentKind.Part2, [], [default], [], s_from));
        Assert.Throws<ArgumentException>(() => new Consent("c1", "p1", ConsentKind.Part2, [], [], [default], s_from));
        Assert.Throws<ArgumentNullException>(() => new Consent("c1", "p1", ConsentKind.Part2, null!, [], [], s_from));
    }

    [Fact]
    public void ConsentChange_Constructor_KeepsWhatHappened()
    {
        Consent consent = Make();

        var change = new ConsentChange(consent, ConsentChangeKind.Recorded, s_from, "u-fd-1");

        Assert.Same(consent, change.Consent);
        Assert.Equal(ConsentChangeKind.Recorded, change.Kind);
        Assert.Equal("u-fd-1", change.ChangedBy);
        Assert.Throws<ArgumentException>(() => new ConsentChange(consent, ConsentChangeKind.Revoked, s_from, " "));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConsentChange(consent, (ConsentChangeKind)9, s_from, "u1"));
    }

    private static Consent Make(
        string[]? recipients = null,
        DataCategory[]? categories = null,
        DateTimeOffset? until = null,
        DateTimeOffset? revokedAt = null) =>
        new("c1", "p1", ConsentKind.Part2, recipients ?? ["org-hospital"], [PurposeOfUse.Treatment], categories ?? [DataCategory.All], s_from, until, revokedAt);
}
