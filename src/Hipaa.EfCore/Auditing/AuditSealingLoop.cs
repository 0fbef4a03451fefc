using Hipaa.EfCore.Auditing.Integrity;
using Microsoft.Extensions.Logging;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// Seals this instance's (and any other instance's) appended records into the hash chain every
/// <see cref="Hipaa.Auditing.QueryAuditingOptions.SealInterval"/>. Every instance runs one; the chain lock lets one seal at a
/// time. A failed round is logged and retried at the next tick: appending never waits for sealing.
/// </summary>
internal sealed partial class AuditSealingLoop : IDisposable
{
    public const int BatchSize = 5_000;

    private readonly AuditSealer _sealer;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public AuditSealingLoop(AuditSealer sealer, TimeSpan interval, TimeProvider time, ILogger logger)
    {
        _sealer = sealer;
        _logger = logger;
        _loop = Task.Run(() => RunAsync(interval, time, _stop.Token));
    }

    /// <summary>On a SQLite audit store in WAL mode, checkpoints the WAL off the read path (each round, and by tests).</summary>
    public Task CheckpointAsync(CancellationToken cancellationToken) => _sealer.CheckpointSqliteWalAsync(cancellationToken);

    /// <summary>Seals everything appended so far (also used on shutdown, and by tests).</summary>
    public async Task<long> SealAllAsync(CancellationToken cancellationToken)
    {
        long sealedCount = 0;
        AuditSealResult result;
        do
        {
            result = await _sealer.SealAsync(BatchSize, cancellationToken).ConfigureAwait(false);
            sealedCount += result.RecordsSealed;
        }
        while (result.RecordsSealed == BatchSize);
        return sealedCount;
    }

    /// <summary>Stops the loop and seals what is still waiting (bounded to ten seconds), so a clean shutdown leaves nothing unsealed.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
            // Cancellation of the loop; nothing to report.
        }

        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Task.Run(() => SealAllAsync(deadline.Token)).GetAwaiter().GetResult();
        }
        catch (Exception failure)
        {
            LogSealFailed(_logger, failure);
        }

        _stop.Dispose();
        _sealer.Dispose();
    }

    private async Task RunAsync(TimeSpan interval, TimeProvider time, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    await SealAllAsync(stop).ConfigureAwait(false);
                }
                catch (Exception failure) when (failure is not OperationCanceledException)
                {
                    LogSealFailed(_logger, failure);
                }

                await CheckpointAsync(stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    [LoggerMessage(EventId = 2102, Level = LogLevel.Error, Message = "Sealing the audit chain failed; records stay appended and unsealed until a later round succeeds. Run 'hipaa audit verify' if this persists.")]
    private static partial void LogSealFailed(ILogger logger, Exception exception);
}
