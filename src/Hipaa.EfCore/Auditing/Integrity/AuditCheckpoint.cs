using System.Buffers.Binary;

namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>
/// A signed statement "the chain had <see cref="Position"/> records and the last one hashed to <see cref="HeadHash"/>",
/// as stored in <c>hipaa_audit_checkpoints</c> or read back from an exported checkpoint file.
/// </summary>
/// <param name="Position">The chain position of the head the checkpoint covers.</param>
/// <param name="HeadHash">The chain hash of the record at <paramref name="Position"/>.</param>
/// <param name="CreatedAt">When the checkpoint was made (UTC, whole microseconds).</param>
/// <param name="SignerKeyId">The <see cref="Hipaa.Auditing.IAuditCheckpointSigner.KeyId"/> of the key that signed it.</param>
/// <param name="Signature">The ECDSA P-256 / SHA-256 signature over <see cref="SignedBytes()"/>.</param>
/// <param name="Source">Where the checkpoint came from, for messages: <c>database</c> or the exported file's name.</param>
internal sealed record AuditCheckpoint(
    long Position,
    byte[] HeadHash,
    DateTimeOffset CreatedAt,
    string SignerKeyId,
    byte[] Signature,
    string Source)
{
    /// <summary>The <see cref="Source"/> of a checkpoint read from the database.</summary>
    public const string DatabaseSource = "database";

    /// <summary>Gets the domain separation prefix of a checkpoint's signed bytes, <c>hipaa-audit-checkpoint-v1</c> in ASCII.</summary>
    public static ReadOnlySpan<byte> Domain => "hipaa-audit-checkpoint-v1"u8;

    /// <summary>
    /// The bytes a checkpoint signature covers:
    /// <c>"hipaa-audit-checkpoint-v1" || position (8 bytes, big-endian) || head hash (32 bytes) || created-at UTC ticks (8 bytes, big-endian)</c>.
    /// </summary>
    /// <param name="position">The head position.</param>
    /// <param name="headHash">The head hash.</param>
    /// <param name="createdAt">The checkpoint time.</param>
    /// <returns>The bytes to sign or to verify.</returns>
    public static byte[] SignedBytes(long position, ReadOnlySpan<byte> headHash, DateTimeOffset createdAt)
    {
        byte[] bytes = new byte[Domain.Length + sizeof(long) + headHash.Length + sizeof(long)];
        Span<byte> span = bytes;
        Domain.CopyTo(span);
        span = span[Domain.Length..];
        BinaryPrimitives.WriteInt64BigEndian(span, position);
        span = span[sizeof(long)..];
        headHash.CopyTo(span);
        span = span[headHash.Length..];
        BinaryPrimitives.WriteInt64BigEndian(span, createdAt.UtcTicks);
        return bytes;
    }

    /// <summary>Truncates <paramref name="value"/> to whole microseconds, the precision PostgreSQL stores, so signed times round-trip.</summary>
    /// <param name="value">A time.</param>
    /// <returns>The same instant in UTC without its sub-microsecond ticks.</returns>
    public static DateTimeOffset ToStoredPrecision(DateTimeOffset value)
    {
        long ticks = value.UtcTicks;
        return new DateTimeOffset(ticks - (ticks % TimeSpan.TicksPerMicrosecond), TimeSpan.Zero);
    }

    /// <summary>Reads a checkpoint row.</summary>
    /// <param name="entry">The row.</param>
    /// <returns>The checkpoint.</returns>
    public static AuditCheckpoint From(AuditCheckpointEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new AuditCheckpoint(entry.Position, entry.HeadHash, entry.CreatedAt, entry.SignerKeyId, entry.Signature, DatabaseSource);
    }

    /// <summary>Gets the bytes this checkpoint's <see cref="Signature"/> covers.</summary>
    /// <returns>The signed bytes.</returns>
    public byte[] SignedBytes() => SignedBytes(Position, HeadHash, CreatedAt);

    /// <summary>Gets the head hash as lower-case hex.</summary>
    public string HeadHashHex => Convert.ToHexStringLower(HeadHash);
}
