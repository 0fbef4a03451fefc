using System.Text.Json;
using System.Text.Json.Serialization;
using Hipaa.Policy;

namespace Hipaa.EfCore.Policy;

/// <summary>
/// What a consent row encrypts: the consent (with its own ids, checked against the row's keyed hashes after decryption)
/// and the change that wrote the row — who, when, and for history rows what. Serialized as JSON, the same on every provider.
/// </summary>
internal sealed class ConsentPayload
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    [JsonPropertyName("id")]
    public required string ConsentId { get; init; }

    [JsonPropertyName("patient")]
    public required string PatientId { get; init; }

    [JsonPropertyName("kind")]
    public int Kind { get; init; }

    [JsonPropertyName("recipients")]
    public required string[] Recipients { get; init; }

    [JsonPropertyName("purposes")]
    public required string[] Purposes { get; init; }

    [JsonPropertyName("categories")]
    public required string[] Categories { get; init; }

    [JsonPropertyName("from")]
    public DateTimeOffset ValidFrom { get; init; }

    [JsonPropertyName("until")]
    public DateTimeOffset? ValidUntil { get; init; }

    [JsonPropertyName("revoked")]
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>What the change was (<see cref="ConsentChangeKind"/>): recorded for a current-state row, either for history.</summary>
    [JsonPropertyName("change")]
    public int Change { get; init; }

    [JsonPropertyName("at")]
    public DateTimeOffset ChangedAt { get; init; }

    [JsonPropertyName("by")]
    public required string ChangedBy { get; init; }

    public static ConsentPayload From(Consent consent, ConsentChangeKind change, DateTimeOffset changedAt, string changedBy) => new()
    {
        ConsentId = consent.Id,
        PatientId = consent.PatientId,
        Kind = (int)consent.Kind,
        Recipients = [.. consent.Recipients],
        Purposes = [.. consent.Purposes.Select(p => p.Code)],
        Categories = [.. consent.Categories.Select(c => c.Name)],
        ValidFrom = consent.From.ToUniversalTime(),
        ValidUntil = consent.Until?.ToUniversalTime(),
        RevokedAt = consent.RevokedAt?.ToUniversalTime(),
        Change = (int)change,
        ChangedAt = changedAt.ToUniversalTime(),
        ChangedBy = changedBy,
    };

    /// <summary>The payload as UTF-8 JSON. The caller zeroes the buffer once it is encrypted.</summary>
    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>Reads a decrypted payload; <see langword="null"/> when it is not one (authenticated, so only a bug or another format).</summary>
    public static ConsentPayload? Deserialize(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return JsonSerializer.Deserialize<ConsentPayload>(utf8, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The consent; throws <see cref="ArgumentException"/> (no value in its message but the consent id) when it is not a valid one.</summary>
    public Consent ToConsent() =>
        new(ConsentId, PatientId, (ConsentKind)Kind, Recipients, Purposes.Select(p => new PurposeOfUse(p)), Categories.Select(c => new DataCategory(c)), ValidFrom, ValidUntil, RevokedAt);

    public ConsentChange ToChange() => new(ToConsent(), (ConsentChangeKind)Change, ChangedAt, ChangedBy);
}
