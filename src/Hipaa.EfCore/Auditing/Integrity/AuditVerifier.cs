using System.Globalization;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>
/// Walks the audit chain in position order, in batches (memory does not grow with the chain), and reports the first problem:
/// an edited, deleted, inserted or reordered record, a truncated or emptied chain, deleted checkpoints, a checkpoint whose
/// signature or head hash is wrong, a purged prefix younger than the retention period, or — when nothing else is wrong — a chain
/// that nothing outside the database anchors (docs/audit.md, "Verification" and "Anchoring").
/// </summary>
/// <remarks>
/// The walk covers the chain as it was when verification began: the newest position and the newest checkpoint are read in
/// one statement, and records sealed afterwards are left for the next run. Rows not yet sealed are counted, not checked.
/// A position is anchored when a checkpoint at or after it was verified under a trusted public key
/// (<see cref="AuditVerificationOptions.Signatures"/>) or an exported checkpoint at or after it matched the chain; the signer key
/// ids and signatures stored in the database are never trusted by themselves.
/// </remarks>
internal sealed class AuditVerifier
{
    /// <summary>How far from its position a record's hash is searched for, to tell a moved record from an edited one.</summary>
    internal const int SearchWindow = 64;

    private readonly DbContextOptions<AuditDbContext> _options;
    private readonly TimeProvider _timeProvider;
    private readonly AuditVerificationOptions _settings;

    /// <summary>Initializes a new instance.</summary>
    /// <param name="options">The audit store.</param>
    /// <param name="timeProvider">The clock the retention rule of a purged prefix is checked against.</param>
    /// <param name="settings">Public keys, exported checkpoints, retention period; <see langword="null"/> for the defaults.</param>
    public AuditVerifier(DbContextOptions<AuditDbContext> options, TimeProvider timeProvider, AuditVerificationOptions? settings = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = options;
        _timeProvider = timeProvider;
        _settings = settings ?? new AuditVerificationOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_settings.BatchSize, nameof(settings));
    }

    /// <summary>Verifies the chain and its checkpoints.</summary>
    /// <param name="cancellationToken">Cancels the walk.</param>
    /// <returns>The result, with the first problem found, if any.</returns>
    public async Task<AuditVerificationResult> VerifyAsync(CancellationToken cancellationToken = default)
    {
        AuditDbContext context = new(_options);
        await using (context.ConfigureAwait(false))
        {
            context.ChangeTracker.QueryTrackingBehavior = QueryTrackingBehavior.NoTracking;
            var walk = new ChainWalk(context, _settings, _timeProvider.GetUtcNow());
            return await walk.RunAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static string Range(long first, long last) =>
        first == last
            ? string.Create(CultureInfo.InvariantCulture, $"position {first}")
            : string.Create(CultureInfo.InvariantCulture, $"positions {first}..{last}");

    /// <summary>The row the walk last verified, kept for a short window to name records in messages.</summary>
    private sealed record VerifiedRow(long Position, Guid RecordId, byte[] Hash);

    /// <summary>The state of one verification.</summary>
    private sealed class ChainWalk(AuditDbContext context, AuditVerificationOptions settings, DateTimeOffset now)
    {
        private readonly Queue<VerifiedRow> _recent = new();
        private CheckpointCursor _checkpoints = null!;
        private long _maxCheckpoint;
        private long _recordsVerified;
        private long _checkpointsVerified;
        private long _firstPosition;
        private long _lastPosition;
        private long _unsealed;
        private long _anchoredThrough;
        private bool _anchored;
        private bool _empty;

        public async Task<AuditVerificationResult> RunAsync(CancellationToken cancellationToken)
        {
            // One statement, so one snapshot: a seal committing meanwhile adds rows and a checkpoint beyond both bounds together.
            ChainBounds bounds = await context.Database
                .SqlQueryRaw<ChainBounds>(
                    "SELECT (SELECT MIN(chain_position) FROM hipaa_audit) AS \"MinPosition\", "
                    + "(SELECT MAX(chain_position) FROM hipaa_audit) AS \"MaxPosition\", "
                    + "(SELECT MAX(position) FROM hipaa_audit_checkpoints) AS \"MaxCheckpoint\", "
                    + "(SELECT COUNT(*) FROM hipaa_audit WHERE chain_position IS NULL) AS \"Unsealed\"")
                .SingleAsync(cancellationToken)
                .ConfigureAwait(false);
            _maxCheckpoint = bounds.MaxCheckpoint ?? 0;
            _unsealed = bounds.Unsealed;
            _checkpoints = new CheckpointCursor(context, _maxCheckpoint, settings.ExportedCheckpoints, settings.BatchSize);
            _empty = bounds.MinPosition is null && bounds.MaxCheckpoint is null;
            if (_empty && settings.ExportedCheckpoints.Count == 0)
            {
                // An exported checkpoint contradicts "new": the walk below reports the wipe as truncation.
                return Result(settings.AllowEmptyTrail ? null : EmptyTrail());
            }

            if (bounds is { MinPosition: { } first, MaxPosition: { } newest, MaxCheckpoint: null })
            {
                return Result(new AuditChainProblem(
                    AuditChainProblemKind.CheckpointsDeleted,
                    first,
                    null,
                    string.Create(CultureInfo.InvariantCulture, $"Sealed records hold {Range(first, newest)}, but there is no checkpoint in the database, yet every seal writes one and a retention purge keeps the one it cut at: the checkpoints were deleted, and nothing in the database vouches for the records.")));
            }

            long start = bounds.MinPosition ?? _maxCheckpoint + 1;
            long anchorPosition = start - 1;
            long maxPosition = bounds.MaxPosition ?? anchorPosition;
            _firstPosition = bounds.MinPosition ?? 0;

            byte[] previous = AuditRecordHasher.GenesisHash.ToArray();
            if (anchorPosition > 0)
            {
                (AuditChainProblem? anchorProblem, byte[]? anchorHash) = await CheckAnchorAsync(anchorPosition, start, cancellationToken).ConfigureAwait(false);
                if (anchorProblem is not null)
                {
                    return Result(anchorProblem);
                }

                previous = anchorHash!;
            }

            // Checkpoints of the purged prefix: nothing left to compare them with but their signatures.
            while (await _checkpoints.PeekAsync(cancellationToken).ConfigureAwait(false) is { } early && early.Position <= anchorPosition)
            {
                await _checkpoints.NextAsync(cancellationToken).ConfigureAwait(false);
                if (!SignatureHolds(early))
                {
                    return Result(InvalidSignature(early));
                }

                if (early.Position == anchorPosition && !early.HeadHash.AsSpan().SequenceEqual(previous))
                {
                    return Result(new AuditChainProblem(
                        AuditChainProblemKind.CheckpointMismatch,
                        early.Position,
                        null,
                        string.Create(CultureInfo.InvariantCulture, $"The checkpoint at position {early.Position} from {early.Source} disagrees with the checkpoint that anchors the start of the chain at the same position: one of them was forged.")));
                }

                if (early.Position == anchorPosition)
                {
                    Anchor(early);
                }

                _checkpointsVerified++;
            }

            long expected = start;
            long after = anchorPosition;
            while (after < maxPosition)
            {
                List<AuditEntry> batch = await context.Entries
                    .Where(e => e.ChainPosition > after && e.ChainPosition <= maxPosition)
                    .OrderBy(e => e.ChainPosition)
                    .Take(settings.BatchSize)
                    .ToListAsync(cancellationToken)
                    .ConfigureAwait(false);
                if (batch.Count == 0)
                {
                    break;
                }

                foreach (AuditEntry row in batch)
                {
                    AuditChainProblem? problem = await CheckRowAsync(row, expected, start, previous, cancellationToken).ConfigureAwait(false);
                    if (problem is not null)
                    {
                        return Result(problem);
                    }

                    previous = row.Hash!;
                    expected = row.ChainPosition!.Value + 1;
                    _lastPosition = expected - 1;
                    _recordsVerified++;
                }

                after = batch[^1].ChainPosition!.Value;
            }

            long last = expected - 1;
            if (await _checkpoints.PeekAsync(cancellationToken).ConfigureAwait(false) is { } beyond)
            {
                if (!SignatureHolds(beyond))
                {
                    return Result(InvalidSignature(beyond));
                }

                return Result(new AuditChainProblem(
                    AuditChainProblemKind.Truncated,
                    last + 1,
                    null,
                    _recordsVerified == 0 && bounds.MinPosition is null
                        ? string.Create(CultureInfo.InvariantCulture, $"The trail has no sealed records{(last > 0 ? string.Create(CultureInfo.InvariantCulture, $" after position {last}") : string.Empty)}, but the checkpoint from {beyond.Source} made at {Time(beyond.CreatedAt)} covers position {beyond.Position}: {Range(last + 1, beyond.Position)} were deleted, the trail wiped.")
                        : string.Create(CultureInfo.InvariantCulture, $"The chain ends at position {last}, but the checkpoint from {beyond.Source} made at {Time(beyond.CreatedAt)} covers position {beyond.Position}: {Range(last + 1, beyond.Position)} were deleted from the end of the chain.")));
            }

            if (await PatientIndexCheck.RunAsync(context, maxPosition, settings.BatchSize, cancellationToken).ConfigureAwait(false) is { } indexProblem)
            {
                return Result(indexProblem);
            }

            _anchored = _anchoredThrough >= last;
            if (!_anchored && !settings.InsecureAcceptUnanchored)
            {
                return Result(Unanchored(Math.Max(_anchoredThrough + 1, Math.Min(start, last)), last));
            }

            return Result(null);
        }

        private AuditVerificationResult Result(AuditChainProblem? problem) => new()
        {
            RecordsVerified = _recordsVerified,
            FirstPosition = _firstPosition,
            LastPosition = _lastPosition,
            CheckpointsVerified = _checkpointsVerified,
            SignaturesChecked = settings.Signatures is not null,
            UnsealedRecords = _unsealed,
            AnchoredThrough = _anchoredThrough,
            IsAnchored = _anchored && problem is null,
            IsEmpty = _empty,
            Problem = problem,
        };

        /// <summary>Records that <paramref name="checkpoint"/>, checked against the chain, vouches for it from outside the database.</summary>
        private void Anchor(AuditCheckpoint checkpoint)
        {
            if (settings.Signatures is not null || checkpoint.Source != AuditCheckpoint.DatabaseSource)
            {
                _anchoredThrough = Math.Max(_anchoredThrough, checkpoint.Position);
            }
        }

        private AuditChainProblem EmptyTrail() => new(
            AuditChainProblemKind.EmptyTrail,
            1,
            null,
            string.Create(CultureInfo.InvariantCulture, $"Nothing to verify: the trail is empty, with no sealed record and no checkpoint in the database{(_unsealed > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({_unsealed} rows wait unsealed)") : string.Empty)}. Deleting every sealed record and checkpoint leaves the same state; if the trail is new, say so (hipaa audit verify --allow-empty-trail, AuditVerificationOptions.AllowEmptyTrail), and keep exported checkpoints (--checkpoints) so that a wipe is told apart."));

        private AuditChainProblem Unanchored(long from, long last)
        {
            string vouched = _anchoredThrough > 0
                ? string.Create(CultureInfo.InvariantCulture, $"The exported checkpoints vouch for the chain through position {_anchoredThrough}, but nothing outside the database vouches for {Range(from, last)}")
                : string.Create(CultureInfo.InvariantCulture, $"No trusted public key checked the checkpoints and no exported checkpoint covers the chain, so nothing outside the database vouches for {Range(from, last)}");
            return new AuditChainProblem(
                AuditChainProblemKind.Unanchored,
                from,
                null,
                vouched + ": the chain is consistent, but anyone who can write to the database could have rewritten the records, re-sealed them and re-signed the checkpoints with a key of their own, and it would look the same. "
                    + "Anchor it with the signer's public key (hipaa audit verify --public-key, AuditVerificationOptions.Signatures) or an exported checkpoint file that covers the head (--checkpoints).");
        }

        private bool SignatureHolds(AuditCheckpoint checkpoint) => settings.Signatures?.IsValid(checkpoint) ?? true;

        private AuditChainProblem InvalidSignature(AuditCheckpoint checkpoint) => new(
            AuditChainProblemKind.CheckpointSignatureInvalid,
            checkpoint.Position,
            null,
            string.Create(CultureInfo.InvariantCulture, $"The checkpoint at position {checkpoint.Position} from {checkpoint.Source} (made at {Time(checkpoint.CreatedAt)}, key {checkpoint.SignerKeyId}) has a signature that no trusted public key ({string.Join(", ", settings.Signatures!.Fingerprints)}) verifies: it was altered or forged."));

        /// <summary>The start of a chain whose prefix is gone must be vouched for by a signed checkpoint older than the retention period.</summary>
        private async Task<(AuditChainProblem? Problem, byte[]? Hash)> CheckAnchorAsync(long anchorPosition, long start, CancellationToken cancellationToken)
        {
            AuditCheckpointEntry? stored = await context.Checkpoints
                .Where(c => c.Position == anchorPosition)
                .FirstOrDefaultAsync(cancellationToken)
                .ConfigureAwait(false);
            AuditCheckpoint? anchor = stored is not null
                ? AuditCheckpoint.From(stored)
                : settings.ExportedCheckpoints.FirstOrDefault(c => c.Position == anchorPosition);
            if (anchor is null)
            {
                return (new AuditChainProblem(
                    AuditChainProblemKind.DeletedRecord,
                    1,
                    null,
                    string.Create(CultureInfo.InvariantCulture, $"The chain starts at position {start}, but no checkpoint anchors position {anchorPosition}: {Range(1, anchorPosition)} were deleted from the start of the chain (a retention purge always keeps the checkpoint it cut at).")), null);
            }

            if (!SignatureHolds(anchor))
            {
                return (InvalidSignature(anchor), null);
            }

            if (anchor.CreatedAt > now - settings.RetentionPeriod)
            {
                return (new AuditChainProblem(
                    AuditChainProblemKind.PrematurePurge,
                    anchorPosition,
                    null,
                    string.Create(CultureInfo.InvariantCulture, $"{Range(1, anchorPosition)} are gone, but the checkpoint that anchors the start of the chain was made at {Time(anchor.CreatedAt)}, within the retention period of {settings.RetentionPeriod.TotalDays:0} days: records younger than the retention period were deleted.")), null);
            }

            Anchor(anchor);
            return (null, anchor.HeadHash);
        }

        private async Task<AuditChainProblem?> CheckRowAsync(AuditEntry row, long expected, long start, byte[] previous, CancellationToken cancellationToken)
        {
            long position = row.ChainPosition!.Value;
            if (position < expected)
            {
                return new AuditChainProblem(
                    AuditChainProblemKind.InsertedRecord,
                    position,
                    row.RecordId,
                    string.Create(CultureInfo.InvariantCulture, $"Two records hold position {position}: record {row.RecordId} was inserted into the chain."));
            }

            if (position > expected)
            {
                return new AuditChainProblem(
                    AuditChainProblemKind.DeletedRecord,
                    expected,
                    null,
                    string.Create(CultureInfo.InvariantCulture, $"{Range(expected, position - 1)} {(position - 1 > expected ? "are" : "is")} missing: the sealed record{(position - 1 > expected ? "s were" : " was")} deleted. The next record present is at position {position} (record {row.RecordId})."));
            }

            if (position > _maxCheckpoint)
            {
                return new AuditChainProblem(
                    AuditChainProblemKind.InsertedRecord,
                    position,
                    row.RecordId,
                    string.Create(CultureInfo.InvariantCulture, $"Record {row.RecordId} at position {position} is not covered by any checkpoint (the newest covers position {_maxCheckpoint}), yet every seal writes one: it was added to the chain outside the sealer, or the checkpoint that covered it was deleted."));
            }

            if (row.Hash is not { Length: AuditRecordHasher.HashSize } || row.PreviousHash is not { Length: AuditRecordHasher.HashSize })
            {
                return new AuditChainProblem(
                    AuditChainProblemKind.MalformedRecord,
                    position,
                    row.RecordId,
                    string.Create(CultureInfo.InvariantCulture, $"Record {row.RecordId} at position {position} lacks its previous hash or its hash (or they are not {AuditRecordHasher.HashSize} bytes): its chain columns were changed."));
            }

            byte[] canonical = AuditRecordHasher.Canonicalize(row);
            bool selfConsistent = AuditRecordHasher.ComputeHash(row.PreviousHash, position, canonical, row.PatientIds.Length > 0).AsSpan().SequenceEqual(row.Hash);
            if (!selfConsistent)
            {
                return await DiagnoseMismatchAsync(row, canonical, cancellationToken).ConfigureAwait(false);
            }

            if (!row.PreviousHash.AsSpan().SequenceEqual(previous))
            {
                return DiagnoseBrokenLink(row, start);
            }

            while (await _checkpoints.PeekAsync(cancellationToken).ConfigureAwait(false) is { } checkpoint && checkpoint.Position <= position)
            {
                await _checkpoints.NextAsync(cancellationToken).ConfigureAwait(false);
                if (!SignatureHolds(checkpoint))
                {
                    return InvalidSignature(checkpoint);
                }

                if (!checkpoint.HeadHash.AsSpan().SequenceEqual(row.Hash))
                {
                    return await DiagnoseCheckpointMismatchAsync(row, checkpoint, cancellationToken).ConfigureAwait(false);
                }

                Anchor(checkpoint);
                _checkpointsVerified++;
            }

            Remember(new VerifiedRow(position, row.RecordId, row.Hash));
            return null;
        }

        /// <summary>The row's hash does not match its contents at its position: edited, or moved from another position.</summary>
        private async Task<AuditChainProblem> DiagnoseMismatchAsync(AuditEntry row, byte[] canonical, CancellationToken cancellationToken)
        {
            long position = row.ChainPosition!.Value;
            long? sealedAt = FindSealedPosition(row, canonical, position);
            if (sealedAt is null)
            {
                return new AuditChainProblem(
                    AuditChainProblemKind.EditedRecord,
                    position,
                    row.RecordId,
                    string.Create(CultureInfo.InvariantCulture, $"Record {row.RecordId} at position {position} was changed after it was sealed: its contents no longer match its hash."));
            }

            if (sealedAt < position)
            {
                VerifiedRow? inserted = Recent(sealedAt.Value);
                return new AuditChainProblem(
                    AuditChainProblemKind.InsertedRecord,
                    sealedAt.Value,
                    inserted?.RecordId,
                    string.Create(CultureInfo.InvariantCulture, $"{Range(sealedAt.Value, position - 1)} hold{(position - 1 > sealedAt ? string.Empty : "s")} inserted record{(position - 1 > sealedAt ? "s" : string.Empty)}{(inserted is null ? string.Empty : $" (first: {inserted.RecordId})")}: record {row.RecordId}, sealed at position {sealedAt}, was pushed to position {position}."));
            }

            // Moved to an earlier position: a swap (some later row belongs here) or deletions with the rest renumbered.
            List<AuditEntry> following = await context.Entries
                .Where(e => e.ChainPosition > position && e.ChainPosition <= position + SearchWindow)
                .OrderBy(e => e.ChainPosition)
                .ToListAsync(cancellationToken)
                .ConfigureAwait(false);
            foreach (AuditEntry other in following)
            {
                if (other.Hash is { Length: AuditRecordHasher.HashSize } && other.PreviousHash is { Length: AuditRecordHasher.HashSize }
                    && AuditRecordHasher.ComputeHash(other.PreviousHash, position, other).AsSpan().SequenceEqual(other.Hash))
                {
                    return new AuditChainProblem(
                        AuditChainProblemKind.ReorderedRecord,
                        position,
                        row.RecordId,
                        string.Create(CultureInfo.InvariantCulture, $"Records were reordered: record {row.RecordId}, sealed at position {sealedAt}, now sits at position {position}, and record {other.RecordId}, sealed at position {position}, now sits at position {other.ChainPosition}."));
                }
            }

            return new AuditChainProblem(
                AuditChainProblemKind.DeletedRecord,
                position,
                null,
                string.Create(CultureInfo.InvariantCulture, $"{Range(position, sealedAt.Value - 1)} {(sealedAt - 1 > position ? "were" : "was")} deleted and the later records renumbered: record {row.RecordId}, sealed at position {sealedAt}, now sits at position {position}."));
        }

        /// <summary>The row is consistent with itself but does not chain to the row before it.</summary>
        private AuditChainProblem DiagnoseBrokenLink(AuditEntry row, long start)
        {
            long position = row.ChainPosition!.Value;
            if (position == start && start > 1)
            {
                return new AuditChainProblem(
                    AuditChainProblemKind.CheckpointMismatch,
                    start - 1,
                    row.RecordId,
                    string.Create(CultureInfo.InvariantCulture, $"The first record of the chain, {row.RecordId} at position {position}, does not chain to the checkpoint that anchors the start at position {start - 1}: the record was rewritten or the checkpoint forged."));
            }

            if (position == 1)
            {
                return new AuditChainProblem(
                    AuditChainProblemKind.EditedRecord,
                    1,
                    row.RecordId,
                    string.Create(CultureInfo.InvariantCulture, $"Record {row.RecordId} at position 1 does not start from the genesis hash (32 zero bytes): it was rewritten."));
            }

            VerifiedRow? prior = Recent(position - 1);
            VerifiedRow? beforePrior = Recent(position - 2);
            if (beforePrior is not null && row.PreviousHash.AsSpan().SequenceEqual(beforePrior.Hash))
            {
                return new AuditChainProblem(
                    AuditChainProblemKind.InsertedRecord,
                    position - 1,
                    prior?.RecordId,
                    string.Create(CultureInfo.InvariantCulture, $"Record {prior?.RecordId} at position {position - 1} was inserted: the record at position {position} ({row.RecordId}) chains directly to position {position - 2}."));
            }

            return new AuditChainProblem(
                AuditChainProblemKind.EditedRecord,
                position - 1,
                prior?.RecordId,
                string.Create(CultureInfo.InvariantCulture, $"Record {prior?.RecordId} at position {position - 1} was changed after it was sealed and its hash recomputed to hide it: the record at position {position} ({row.RecordId}) still chains to the original (or its stored link was rewritten)."));
        }

        /// <summary>The chain up to the row is consistent, but a checkpoint vouches for a different hash at its position.</summary>
        private async Task<AuditChainProblem> DiagnoseCheckpointMismatchAsync(AuditEntry row, AuditCheckpoint checkpoint, CancellationToken cancellationToken)
        {
            long position = row.ChainPosition!.Value;
            AuditEntry? next = await context.Entries
                .Where(e => e.ChainPosition == position + 1)
                .FirstOrDefaultAsync(cancellationToken)
                .ConfigureAwait(false);
            if (next is { Hash.Length: AuditRecordHasher.HashSize, PreviousHash.Length: AuditRecordHasher.HashSize })
            {
                if (AuditRecordHasher.ComputeHash(next.PreviousHash, position, next).AsSpan().SequenceEqual(next.Hash))
                {
                    return new AuditChainProblem(
                        AuditChainProblemKind.InsertedRecord,
                        position,
                        row.RecordId,
                        string.Create(CultureInfo.InvariantCulture, $"Record {row.RecordId} at position {position} was inserted: record {next.RecordId}, sealed at position {position} (the checkpoint from {checkpoint.Source} vouches for it there), was pushed to position {position + 1}."));
                }

                if (!next.PreviousHash.AsSpan().SequenceEqual(row.Hash) && next.PreviousHash.AsSpan().SequenceEqual(checkpoint.HeadHash))
                {
                    return new AuditChainProblem(
                        AuditChainProblemKind.EditedRecord,
                        position,
                        row.RecordId,
                        string.Create(CultureInfo.InvariantCulture, $"Record {row.RecordId} at position {position} was changed after it was sealed and its hash recomputed to hide it: the checkpoint from {checkpoint.Source} and the next record both vouch for the original."));
                }
            }

            return new AuditChainProblem(
                AuditChainProblemKind.CheckpointMismatch,
                position,
                row.RecordId,
                string.Create(CultureInfo.InvariantCulture, $"The checkpoint at position {position} from {checkpoint.Source} (made at {Time(checkpoint.CreatedAt)}) vouches for a different head hash than the chain has there: the chain up to position {position} was rewritten with recomputed hashes, or the checkpoint was forged."));
        }

        /// <summary>Searches the positions around <paramref name="position"/> for the one the row's hash was computed at.</summary>
        private static long? FindSealedPosition(AuditEntry row, byte[] canonical, long position)
        {
            for (long distance = 1; distance <= SearchWindow; distance++)
            {
                foreach (long candidate in (ReadOnlySpan<long>)[position - distance, position + distance])
                {
                    if (candidate >= 1 && AuditRecordHasher.ComputeHash(row.PreviousHash, candidate, canonical, row.PatientIds.Length > 0).AsSpan().SequenceEqual(row.Hash))
                    {
                        return candidate;
                    }
                }
            }

            return null;
        }

        private void Remember(VerifiedRow row)
        {
            _recent.Enqueue(row);
            if (_recent.Count > SearchWindow)
            {
                _recent.Dequeue();
            }
        }

        private VerifiedRow? Recent(long position) => _recent.FirstOrDefault(r => r.Position == position);
    }

    /// <summary>The chain's extent in one snapshot.</summary>
    private sealed class ChainBounds
    {
        public long? MinPosition { get; set; }

        public long? MaxPosition { get; set; }

        public long? MaxCheckpoint { get; set; }

        public long Unsealed { get; set; }
    }

    /// <summary>The database's checkpoints (paged, up to the snapshot's newest) merged in position order with exported ones.</summary>
    private sealed class CheckpointCursor(AuditDbContext context, long maxPosition, IReadOnlyList<AuditCheckpoint> exported, int batchSize)
    {
        private readonly AuditCheckpoint[] _exported = [.. exported.OrderBy(c => c.Position)];
        private readonly Queue<AuditCheckpoint> _page = new();
        private long _after;
        private bool _databaseDone;
        private int _exportedIndex;

        public async Task<AuditCheckpoint?> PeekAsync(CancellationToken cancellationToken)
        {
            if (_page.Count == 0 && !_databaseDone)
            {
                List<AuditCheckpointEntry> rows = await context.Checkpoints
                    .Where(c => c.Position > _after && c.Position <= maxPosition)
                    .OrderBy(c => c.Position)
                    .Take(batchSize)
                    .ToListAsync(cancellationToken)
                    .ConfigureAwait(false);
                rows.ForEach(r => _page.Enqueue(AuditCheckpoint.From(r)));
                if (rows.Count < batchSize)
                {
                    _databaseDone = true;
                }

                if (rows.Count > 0)
                {
                    _after = rows[^1].Position;
                }
            }

            AuditCheckpoint? fromDatabase = _page.Count > 0 ? _page.Peek() : null;
            AuditCheckpoint? fromFile = _exportedIndex < _exported.Length ? _exported[_exportedIndex] : null;
            if (fromDatabase is null)
            {
                return fromFile;
            }

            return fromFile is not null && fromFile.Position < fromDatabase.Position ? fromFile : fromDatabase;
        }

        public async Task NextAsync(CancellationToken cancellationToken)
        {
            AuditCheckpoint? current = await PeekAsync(cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                return;
            }

            if (_page.Count > 0 && ReferenceEquals(_page.Peek(), current))
            {
                _page.Dequeue();
            }
            else
            {
                _exportedIndex++;
            }
        }
    }
}
