using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>
/// Checkpoints as JSON lines, for keeping outside the database (docs/audit.md, "Exported checkpoints"): one object per line,
/// <c>{"position":…,"headHash":"hex","createdAt":"ISO 8601 UTC","signerKeyId":"…","signature":"base64"}</c>, in position order.
/// </summary>
internal static class AuditCheckpointFile
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    /// <summary>Writes the database's checkpoints with positions above <paramref name="afterPosition"/>, in position order, reading in batches.</summary>
    /// <param name="options">The audit store.</param>
    /// <param name="output">Receives one line per checkpoint.</param>
    /// <param name="afterPosition">Only checkpoints beyond this position (0 for all), to append to an earlier export.</param>
    /// <param name="cancellationToken">Cancels the export.</param>
    /// <returns>The number of checkpoints written.</returns>
    public static async Task<long> ExportAsync(
        DbContextOptions<AuditDbContext> options,
        TextWriter output,
        long afterPosition = 0,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        AuditDbContext context = new(options);
        await using (context.ConfigureAwait(false))
        {
            long after = afterPosition;
            long written = 0;
            while (true)
            {
                List<AuditCheckpointEntry> page = await context.Checkpoints
                    .AsNoTracking()
                    .Where(c => c.Position > after)
                    .OrderBy(c => c.Position)
                    .Take(1_000)
                    .ToListAsync(cancellationToken)
                    .ConfigureAwait(false);
                if (page.Count == 0)
                {
                    return written;
                }

                foreach (AuditCheckpointEntry entry in page)
                {
                    await output.WriteLineAsync(Format(AuditCheckpoint.From(entry)).AsMemory(), cancellationToken).ConfigureAwait(false);
                    written++;
                }

                after = page[^1].Position;
            }
        }
    }

    /// <summary>Formats one checkpoint as a JSON line (without the line break).</summary>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <returns>The JSON object.</returns>
    public static string Format(AuditCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("position", checkpoint.Position);
            writer.WriteString("headHash", checkpoint.HeadHashHex);
            writer.WriteString("createdAt", checkpoint.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            writer.WriteString("signerKeyId", checkpoint.SignerKeyId);
            writer.WriteString("signature", Convert.ToBase64String(checkpoint.Signature));
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Reads an exported checkpoint file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The checkpoints, with <see cref="AuditCheckpoint.Source"/> naming the file.</returns>
    /// <exception cref="FormatException">A line is not a checkpoint; the message names the file and the line.</exception>
    public static async Task<IReadOnlyList<AuditCheckpoint>> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var reader = new StreamReader(path, Encoding.UTF8);
        return await ReadAsync(reader, "exported file " + Path.GetFileName(path), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads exported checkpoints from <paramref name="reader"/>.</summary>
    /// <param name="reader">The JSON lines.</param>
    /// <param name="source">Names the input in messages and in <see cref="AuditCheckpoint.Source"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The checkpoints.</returns>
    /// <exception cref="FormatException">A line is not a checkpoint; the message names the source and the line.</exception>
    public static async Task<IReadOnlyList<AuditCheckpoint>> ReadAsync(TextReader reader, string source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(source);
        var checkpoints = new List<AuditCheckpoint>();
        int lineNumber = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                checkpoints.Add(Parse(line, source));
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
            {
                throw new FormatException(
                    string.Format(
                        CultureInfo.InvariantCulture,
                        "Line {0} of {1} is not an exported checkpoint ({2}). Each line must be an object with position, headHash "
                            + "(64 hex digits), createdAt (ISO 8601), signerKeyId and signature (base64), as 'hipaa audit checkpoints export' writes.",
                        lineNumber,
                        source,
                        ex.Message),
                    ex);
            }
        }

        return checkpoints;
    }

    private static AuditCheckpoint Parse(string line, string source)
    {
        using var document = JsonDocument.Parse(line);
        JsonElement root = document.RootElement;
        long position = root.GetProperty("position").GetInt64();
        if (position <= 0)
        {
            throw new FormatException("position must be at least 1");
        }

        byte[] headHash = Convert.FromHexString(root.GetProperty("headHash").GetString() ?? string.Empty);
        if (headHash.Length != AuditRecordHasher.HashSize)
        {
            throw new FormatException($"headHash must be {AuditRecordHasher.HashSize * 2} hex digits");
        }

        DateTimeOffset createdAt = DateTimeOffset.Parse(
            root.GetProperty("createdAt").GetString() ?? string.Empty,
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        string signerKeyId = root.GetProperty("signerKeyId").GetString() ?? string.Empty;
        byte[] signature = Convert.FromBase64String(root.GetProperty("signature").GetString() ?? string.Empty);
        return new AuditCheckpoint(position, headHash, createdAt, signerKeyId, signature, source);
    }
}
