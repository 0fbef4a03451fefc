using System.Security.Cryptography;
using System.Text.Json;
using Hipaa.EfCore.Auditing.Integrity;

namespace Hipaa.EfCore.Tests.Auditing.Integrity;

/// <summary>Exported checkpoints: JSON lines that round-trip exactly, and a precise error for a bad line.</summary>
public sealed class AuditCheckpointFileTests
{
    [Fact]
    public async Task FormatAndReadAsync_Checkpoint_RoundTripsEveryField()
    {
        var checkpoint = new AuditCheckpoint(
            42,
            RandomNumberGenerator.GetBytes(32),
            new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero).AddTicks(1_234_560),
            "local-dev-ecdsa:0011223344556677",
            RandomNumberGenerator.GetBytes(64),
            AuditCheckpoint.DatabaseSource);

        string line = AuditCheckpointFile.Format(checkpoint);
        using var reader = new StringReader(line + "\n\n");
        IReadOnlyList<AuditCheckpoint> read = await AuditCheckpointFile.ReadAsync(reader, "exported file x.jsonl");

        using var json = JsonDocument.Parse(line);
        Assert.Equal(
            ["position", "headHash", "createdAt", "signerKeyId", "signature"],
            json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(checkpoint.HeadHashHex, json.RootElement.GetProperty("headHash").GetString());
        AuditCheckpoint single = Assert.Single(read);
        Assert.Equal(checkpoint.Position, single.Position);
        Assert.Equal(checkpoint.HeadHash, single.HeadHash);
        Assert.Equal(checkpoint.CreatedAt, single.CreatedAt);
        Assert.Equal(checkpoint.SignerKeyId, single.SignerKeyId);
        Assert.Equal(checkpoint.Signature, single.Signature);
        Assert.Equal("exported file x.jsonl", single.Source);
    }

    [Theory]
    [InlineData("{\"position\":1}")]
    [InlineData("{\"position\":1,\"headHash\":\"abcd\",\"createdAt\":\"2026-01-05T10:00:00Z\",\"signerKeyId\":\"k\",\"signature\":\"AA==\"}")]
    [InlineData("not json")]
    public async Task ReadAsync_MalformedLine_NamesTheSourceAndLine(string bad)
    {
        string good = AuditCheckpointFile.Format(new AuditCheckpoint(1, new byte[32], AuditStore.Start, "k", new byte[64], "db"));
        using var reader = new StringReader(good + "\n" + bad + "\n");

        var error = await Assert.ThrowsAsync<FormatException>(() => AuditCheckpointFile.ReadAsync(reader, "exported file cp.jsonl"));

        Assert.Contains("Line 2 of exported file cp.jsonl", error.Message, StringComparison.Ordinal);
    }
}
