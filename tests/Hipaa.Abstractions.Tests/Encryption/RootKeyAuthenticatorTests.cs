using Hipaa.Encryption;

namespace Hipaa.Tests.Encryption;

/// <summary>
/// Test vectors of the intermediate-key link and pin (docs/ciphertext-format.md), computed independently of this code
/// (Python's hmac and hashlib, HKDF-Expand written out), so that the format cannot drift unnoticed.
/// </summary>
public sealed class RootKeyAuthenticatorTests
{
    private static readonly byte[] Predecessor = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
    private static readonly byte[] Material = [.. Enumerable.Range(32, 32).Select(i => (byte)i)];
    private static readonly Guid PredecessorId = Guid.Parse("0195f0a0-0000-7000-8000-000000000001");
    private static readonly DataKeyRecord Linked = new()
    {
        Id = Guid.Parse("0195f0a0-0000-7000-8000-000000000002"),
        Kind = DataKeyKind.Intermediate,
        Scope = KeyScopes.Root,
        Version = 2,
    };

    [Fact]
    public void Link_TestVector_MatchesTheIndependentComputation() =>
        Assert.Equal(
            "425c884420496448050b4421fece7d585fde45ba94c72df02810c0bcc4a10c53",
            Convert.ToHexStringLower(RootKeyAuthenticator.Link(Predecessor, PredecessorId, Linked, Material)));

    [Fact]
    public void Pin_TestVector_MatchesTheIndependentComputationAndParses()
    {
        var pin = RootKeyAuthenticator.Pin(PredecessorId, Predecessor);

        Assert.Equal("0195f0a0-0000-7000-8000-000000000001:d5df8bfa280c1195fafd51e95a0a5018", pin);
        Assert.True(RootKeyAuthenticator.TryParsePin(pin, out var id));
        Assert.Equal(PredecessorId, id);
        Assert.True(RootKeyAuthenticator.MatchesPin(pin, PredecessorId, Predecessor));
        Assert.False(RootKeyAuthenticator.MatchesPin(pin, PredecessorId, Material));
        Assert.False(RootKeyAuthenticator.MatchesPin(pin, Linked.Id, Predecessor));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0195f0a0-0000-7000-8000-000000000001")]
    [InlineData("0195f0a0-0000-7000-8000-000000000001:d5df8bfa280c1195fafd51e95a0a501")]
    [InlineData("0195f0a0-0000-7000-8000-000000000001:d5df8bfa280c1195fafd51e95a0a501z")]
    [InlineData("not-a-guid:d5df8bfa280c1195fafd51e95a0a5018")]
    public void TryParsePin_Malformed_IsFalse(string pin) => Assert.False(RootKeyAuthenticator.TryParsePin(pin, out _));

    [Theory]
    [InlineData("id")]
    [InlineData("version")]
    [InlineData("predecessor")]
    [InlineData("material")]
    public void Link_AnyBoundFieldChanged_GivesAnotherLink(string field)
    {
        var expected = RootKeyAuthenticator.Link(Predecessor, PredecessorId, Linked, Material);
        var record = new DataKeyRecord { Id = Linked.Id, Kind = Linked.Kind, Scope = Linked.Scope, Version = Linked.Version };
        var predecessorId = PredecessorId;
        var material = Material.ToArray();
        switch (field)
        {
            case "id": record.Id = Guid.NewGuid(); break;
            case "version": record.Version = 3; break;
            case "predecessor": predecessorId = Guid.NewGuid(); break;
            case "material": material[0] ^= 1; break;
        }

        Assert.NotEqual(expected, RootKeyAuthenticator.Link(Predecessor, predecessorId, record, material));
    }
}
