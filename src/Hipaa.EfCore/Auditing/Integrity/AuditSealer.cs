using System.Globalization;
using Hipaa.Auditing;
using Hipaa.EfCore.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>
/// Seals appended audit rows into the hash chain and signs a checkpoint of the new head (docs/audit.md, "Sealing"). Any
/// number of application instances may call <see cref="SealAsync"/> at the same time against one database: each call runs in
/// one transaction under <see cref="AuditChainLock"/>, so the chain never forks and never skips a position.
/// </summary>
internal sealed partial class AuditSealer : IDisposable
{
    private readonly DbContextOptions<AuditDbContext> _options;
    private readonly IAuditCheckpointSigner _signer;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CheckpointSignatureVerifier _ownKey;

    /// <summary>Initializes a new instance.</summary>
    /// <param name="options">The audit store (the database holding <c>hipaa_audit</c>).</param>
    /// <param name="signer">Signs each new checkpoint.</param>
    /// <param name="timeProvider">The clock for <c>sealed_at</c> and checkpoint times.</param>
    /// <param name="logger">Receives a debug line per seal and an error when the chain head is inconsistent.</param>
    public AuditSealer(
        DbContextOptions<AuditDbContext> options,
        IAuditCheckpointSigner signer,
        TimeProvider timeProvider,
        ILogger<AuditSealer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = options;
        _signer = signer;
        _timeProvider = timeProvider;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _ownKey = CheckpointSignatureVerifier.FromSigner(signer);
    }

    /// <summary>
    /// Seals up to <paramref name="maxRecords"/> unsealed rows, oldest id first: in one transaction it takes the chain lock,
    /// reads the head, gives each row the next position, its previous hash, its hash and <c>sealed_at</c>, indexes the
    /// patients of each record of several patients (<c>hipaa_audit_patients</c>), writes a signed checkpoint of the new
    /// head and commits. Returns at once with <see cref="AuditSealResult.Empty"/> when nothing waits.
    /// </summary>
    /// <param name="maxRecords">The most rows to seal in this transaction (at least 1).</param>
    /// <param name="cancellationToken">Cancels the seal; nothing is sealed.</param>
    /// <returns>What was sealed.</returns>
    /// <exception cref="InvalidOperationException">
    /// The head of the chain does not match its newest checkpoint (the chain was truncated or extended outside the sealer,
    /// or the checkpoint's signature is not this signer's). Nothing is sealed until <c>hipaa audit verify</c> passes again.
    /// </exception>
    public async Task<AuditSealResult> SealAsync(int maxRecords, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRecords);
        AuditDbContext probe = new(_options);
        await using (probe.ConfigureAwait(false))
        {
            return await probe.Database.CreateExecutionStrategy()
                .ExecuteAsync(maxRecords, (_, max, token) => SealOnceAsync(max, token), null, cancellationToken)
                .ConfigureAwait(false);
        }
    }

    /// <summary>
    /// On a SQLite audit store in WAL mode, copies the WAL into the database (PASSIVE: never waits, copies what no open
    /// reader still needs). The audit writer does not checkpoint on its commits, which happen while the audited query's
    /// reader is open and so could never complete one; run off the read path, between queries, a checkpoint completes and
    /// lets SQLite restart the WAL instead of growing it. Does nothing on other databases; a failure is left to the next round.
    /// </summary>
    public async Task CheckpointSqliteWalAsync(CancellationToken cancellationToken)
    {
        try
        {
            AuditDbContext context = new(_options);
            await using (context.ConfigureAwait(false))
            {
                if (Storage.Dialects.DatabaseDialect.Find(context) is not { JournalModeQuery: { } journalMode, PassiveCheckpointStatement: { } checkpoint })
                {
                    return;
                }

                await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                var command = context.Database.GetDbConnection().CreateCommand();
                await using (command.ConfigureAwait(false))
                {
                    command.CommandText = journalMode;
                    if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string mode
                        && string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                    {
                        command.CommandText = checkpoint;
                        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (System.Data.Common.DbException)
        {
            // Not needed for correctness: the WAL is checkpointed at a later round, or by SQLite on the application's own commits.
        }
    }

    /// <inheritdoc />
    public void Dispose() => _ownKey.Dispose();

    private async Task<AuditSealResult> SealOnceAsync(int maxRecords, CancellationToken cancellationToken)
    {
        AuditDbContext context = new(_options);
        await using (context.ConfigureAwait(false))
        {
            // SQLite: take turns with this process's audit writer in the process, not in SQLite (AuditStoreWriteGate).
            var gate = AuditChainLock.HasDatabaseWriteLock(context) ? AuditStoreWriteGate.For(_options) : null;
            if (gate is not null)
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            try
            {
                return await SealInTransactionAsync(context, maxRecords, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate?.Release();
            }
        }
    }

    private async Task<AuditSealResult> SealInTransactionAsync(AuditDbContext context, int maxRecords, CancellationToken cancellationToken)
    {
        var transaction = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            await AuditChainLock.AcquireAsync(context, cancellationToken).ConfigureAwait(false);

            // Served by ix_hipaa_audit_chain_position (NULL first, then by id). SQLite is told so: with statistics
            // gathered while most rows were unsealed it would otherwise scan the whole table in id order.
            IQueryable<AuditEntry> pendingQuery = Storage.Dialects.DatabaseDialect.Find(context)?.PendingRecordsQuery is { } pendingSql
                ? context.Entries.FromSqlRaw(pendingSql, maxRecords)
                : context.Entries.Where(e => e.ChainPosition == null).OrderBy(e => e.Id).Take(maxRecords);
            // Not tracked: the chain columns are written by AuditSealWriter, without EF Core's snapshots of every row.
            List<AuditEntry> pending = await pendingQuery.AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
            if (pending.Count == 0)
            {
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return AuditSealResult.Empty;
            }

            (long headPosition, byte[] headHash) = await ReadHeadAsync(context, cancellationToken).ConfigureAwait(false);

            DateTimeOffset now = AuditCheckpoint.ToStoredPrecision(_timeProvider.GetUtcNow());
            long position = headPosition;
            byte[] previous = headHash;
            List<AuditPatientEntry> patientIndex = [];
            foreach (AuditEntry entry in pending)
            {
                position++;
                entry.ChainPosition = position;
                entry.PreviousHash = previous;
                entry.Hash = AuditRecordHasher.ComputeHash(previous, position, entry);
                entry.SealedAt = now;
                previous = entry.Hash;
                if (entry.PatientIds.Length > 0)
                {
                    // The per-patient index of a record of several patients, from its list as just hashed.
                    foreach (string patientId in entry.Patients().Distinct(StringComparer.Ordinal))
                    {
                        patientIndex.Add(new AuditPatientEntry { PatientId = patientId, OccurredAt = entry.OccurredAt, AuditId = entry.Id });
                    }
                }
            }

            await AuditSealWriter.WriteAsync(context, pending, cancellationToken).ConfigureAwait(false);

            // Index rows through ADO.NET, not change tracking: a page of 100 patients is one record and 100 index rows.
            await SqlRowInserter.InsertAsync(
                context,
                context.Database.GetDbConnection(),
                context.Database.CurrentTransaction!.GetDbTransaction(),
                patientIndex,
                async: true,
                cancellationToken).ConfigureAwait(false);

            byte[] signature = await _signer
                .SignAsync(AuditCheckpoint.SignedBytes(position, previous, now), cancellationToken)
                .ConfigureAwait(false);
            context.Checkpoints.Add(new AuditCheckpointEntry
            {
                Position = position,
                HeadHash = previous,
                CreatedAt = now,
                SignerKeyId = _signer.KeyId,
                Signature = signature,
            });
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);

            LogSealed(_logger, pending.Count, headPosition + 1, position);
            return new AuditSealResult(pending.Count, headPosition + 1, position);
        }
    }

    /// <summary>
    /// Reads the head the next record chains to, refusing to extend a chain whose newest sealed row and newest checkpoint
    /// disagree: continuing it would vouch, in a new signed checkpoint, for rows nobody sealed.
    /// </summary>
    private async Task<(long Position, byte[] Hash)> ReadHeadAsync(AuditDbContext context, CancellationToken cancellationToken)
    {
        var row = await context.Entries
            .Where(e => e.ChainPosition != null)
            .OrderByDescending(e => e.ChainPosition)
            .Select(e => new { Position = e.ChainPosition!.Value, e.Hash })
            .FirstOrDefaultAsync(cancellationToken)
            .ConfigureAwait(false);
        AuditCheckpointEntry? checkpoint = await context.Checkpoints
            .AsNoTracking()
            .OrderByDescending(c => c.Position)
            .FirstOrDefaultAsync(cancellationToken)
            .ConfigureAwait(false);

        if (checkpoint is null)
        {
            if (row is null)
            {
                return (0, AuditRecordHasher.GenesisHash.ToArray());
            }

            throw Inconsistent(string.Format(
                CultureInfo.InvariantCulture,
                "sealed records reach position {0} but there is no checkpoint",
                row.Position));
        }

        if (checkpoint.SignerKeyId == _signer.KeyId && !_ownKey.IsValid(AuditCheckpoint.From(checkpoint)))
        {
            throw Inconsistent(string.Format(
                CultureInfo.InvariantCulture,
                "the newest checkpoint (position {0}) names this signer's key {1} but its signature does not verify",
                checkpoint.Position,
                checkpoint.SignerKeyId));
        }

        if (row is null)
        {
            // Every sealed row was purged under the retention rule; the checkpoint is the anchor to continue from.
            return (checkpoint.Position, checkpoint.HeadHash);
        }

        if (row.Position != checkpoint.Position || row.Hash is null || !row.Hash.AsSpan().SequenceEqual(checkpoint.HeadHash))
        {
            throw Inconsistent(string.Format(
                CultureInfo.InvariantCulture,
                "the newest sealed record is at position {0} but the newest checkpoint covers position {1}{2}",
                row.Position,
                checkpoint.Position,
                row.Position == checkpoint.Position ? " with a different hash" : string.Empty));
        }

        return (row.Position, row.Hash);
    }

    private InvalidOperationException Inconsistent(string detail)
    {
        string message = "The audit chain was changed outside the sealer: " + detail + ". Sealing is stopped so that no new checkpoint "
            + "vouches for it; new records are still captured and wait unsealed. Run 'hipaa audit verify' to locate the change.";
        LogSealRefused(_logger, detail);
        return new InvalidOperationException(message);
    }

    [LoggerMessage(EventId = 2302, Level = LogLevel.Debug, Message = "Sealed {Count} audit records at chain positions {First}..{Last}.")]
    private static partial void LogSealed(ILogger logger, int count, long first, long last);

    [LoggerMessage(EventId = 2303, Level = LogLevel.Error, Message = "Refused to seal the audit chain: {Detail}. Run 'hipaa audit verify'.")]
    private static partial void LogSealRefused(ILogger logger, string detail);
}
