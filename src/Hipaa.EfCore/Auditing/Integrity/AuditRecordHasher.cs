using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>
/// The canonical bytes of an audit row and its chain hash (docs/audit.md, "Chain format"). Version 1:
/// <c>Hash = SHA-256("hipaa-audit-v1" || previous hash (32 bytes) || position (8 bytes, big-endian) || canonical record)</c>.
/// Version 2, for a record of several patients (<see cref="AuditEntry.PatientIds"/> not empty): the domain
/// <c>hipaa-audit-v2</c> and the patient list appended to the version 1 canonical record as one more length-prefixed
/// string. Records of one patient or none keep version 1, so every record sealed before version 2 verifies unchanged.
/// </summary>
/// <remarks>
/// The canonical record is every non-chain column of <see cref="AuditEntry"/> except the store-generated
/// <see cref="AuditEntry.Id"/>, in a fixed order: the record id (16 bytes, RFC 4122 byte order), the time as UTC ticks
/// (8 bytes, big-endian), then each text column as a length-prefixed UTF-8 string (4-byte big-endian byte count, or
/// <c>0xFFFFFFFF</c> and no bytes for null), enums by name, lists exactly as stored (items joined by U+001F), and the row
/// count as a 4-byte big-endian integer. Changing any of this is a new version with a new domain string.
/// </remarks>
internal static class AuditRecordHasher
{
    /// <summary>The size of a chain hash in bytes.</summary>
    public const int HashSize = SHA256.HashSizeInBytes;

    private const uint NullMarker = uint.MaxValue;

    private static readonly byte[] Genesis = new byte[HashSize];

    /// <summary>Gets the domain separation prefix of every record hash, <c>hipaa-audit-v1</c> in ASCII.</summary>
    public static ReadOnlySpan<byte> Domain => "hipaa-audit-v1"u8;

    /// <summary>Gets the domain separation prefix of a record of several patients, <c>hipaa-audit-v2</c> in ASCII.</summary>
    public static ReadOnlySpan<byte> MultiPatientDomain => "hipaa-audit-v2"u8;

    /// <summary>Gets the previous hash of position 1: 32 zero bytes.</summary>
    public static ReadOnlySpan<byte> GenesisHash => Genesis;

    /// <summary>Encodes the non-chain fields of <paramref name="entry"/> in the canonical form.</summary>
    /// <param name="entry">The row.</param>
    /// <returns>The canonical record.</returns>
    public static byte[] Canonicalize(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var buffer = new ArrayBufferWriter<byte>(512);
        WriteCanonical(entry, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Computes the chain hash of <paramref name="entry"/> at <paramref name="position"/>.</summary>
    /// <param name="previousHash">The hash of the record at <paramref name="position"/> − 1 (<see cref="GenesisHash"/> for 1).</param>
    /// <param name="position">The chain position, from 1.</param>
    /// <param name="entry">The row.</param>
    /// <returns>The 32-byte hash.</returns>
    public static byte[] ComputeHash(ReadOnlySpan<byte> previousHash, long position, AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var buffer = new ArrayBufferWriter<byte>(512);
        WriteCanonical(entry, buffer);
        return ComputeHash(previousHash, position, buffer.WrittenSpan, multiPatient: entry.PatientIds.Length > 0);
    }

    /// <summary>Computes the chain hash of a canonical record at <paramref name="position"/>.</summary>
    /// <param name="previousHash">The hash of the record at <paramref name="position"/> − 1 (<see cref="GenesisHash"/> for 1).</param>
    /// <param name="position">The chain position, from 1.</param>
    /// <param name="canonicalRecord">The record's canonical bytes (<see cref="Canonicalize"/>).</param>
    /// <param name="multiPatient">Whether the record names several patients (version 2's domain).</param>
    /// <returns>The 32-byte hash.</returns>
    public static byte[] ComputeHash(ReadOnlySpan<byte> previousHash, long position, ReadOnlySpan<byte> canonicalRecord, bool multiPatient)
    {
        if (previousHash.Length != HashSize)
        {
            throw new ArgumentException($"A previous hash is {HashSize} bytes long, not {previousHash.Length}.", nameof(previousHash));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(position);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(multiPatient ? MultiPatientDomain : Domain);
        hash.AppendData(previousHash);
        Span<byte> positionBytes = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64BigEndian(positionBytes, position);
        hash.AppendData(positionBytes);
        hash.AppendData(canonicalRecord);
        return hash.GetHashAndReset();
    }

    private static void WriteCanonical(AuditEntry entry, ArrayBufferWriter<byte> output)
    {
        Span<byte> guid = output.GetSpan(16);
        entry.RecordId.TryWriteBytes(guid, bigEndian: true, out _);
        output.Advance(16);
        WriteInt64(output, entry.OccurredAt.UtcTicks);
        WriteString(output, entry.ActorId);
        WriteString(output, entry.ActorRoles);
        WriteString(output, entry.ClientApplication);
        WriteString(output, entry.PatientId);
        WriteString(output, entry.Action.ToString());
        WriteString(output, entry.Entity);
        WriteString(output, entry.Categories);
        WriteString(output, entry.Labels);
        WriteString(output, entry.Fields);
        WriteString(output, entry.RedactedFields);
        WriteString(output, entry.PurposeOfUse);
        WriteString(output, entry.Outcome.ToString());
        WriteString(output, entry.ClientAddress);
        WriteString(output, entry.RequestId);
        WriteString(output, entry.BreakGlassReason);
        WriteString(output, entry.Recipient);
        WriteString(output, entry.Description);
        WriteString(output, entry.RecordKeys);
        WriteString(output, entry.QueryFingerprint);
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(sizeof(int)), entry.RowCount);
        output.Advance(sizeof(int));
        WriteString(output, entry.Decision);
        if (entry.PatientIds.Length > 0)
        {
            WriteString(output, entry.PatientIds);
        }
    }

    private static void WriteInt64(ArrayBufferWriter<byte> output, long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(output.GetSpan(sizeof(long)), value);
        output.Advance(sizeof(long));
    }

    private static void WriteString(ArrayBufferWriter<byte> output, string? value)
    {
        if (value is null)
        {
            BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(sizeof(uint)), NullMarker);
            output.Advance(sizeof(uint));
            return;
        }

        int length = Encoding.UTF8.GetByteCount(value);
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(sizeof(uint)), (uint)length);
        output.Advance(sizeof(uint));
        Span<byte> destination = output.GetSpan(length);
        Encoding.UTF8.GetBytes(value, destination);
        output.Advance(length);
    }
}
