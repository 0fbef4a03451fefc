using Hipaa.EfCore.Auditing.Integrity;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// Seals this instance's (and any other instance's) appended records into the hash chain every
/// <see cref="Hipaa.Auditing.QueryAuditingOptions.SealInterval"/>. Every instance runs one; the chain lock lets one seal at a
/// time. A failed round is retried at the next tick: appending never waits for sealing. Failures are logged rate-limited:
/// the first with its exception, then a summary at most once a minute while they go on, and one line when sealing recovers.
/// </summary>
/// <remarks>
/// A <see cref="BackgroundService"/>: <see cref="AuditRuntime"/> starts it when it is created (so hosts without a generic
/// host, such as the CLI, tests and benchmarks, seal too), and a host stops it through <see cref="AuditSealingHostedService"/>
/// within its shutdown timeout, sealing what is still waiting for as long as that timeout allows.
/// </remarks>
internal sealed partial class AuditSealingLoop : BackgroundService
{
    public const int BatchSize = 5_000;

    /// <summary>How often, at most, a summary of continuing failures is logged.</summary>
    public static readonly TimeSpan FailureSummaryInterval = TimeSpan.FromMinutes(1);

    /// <summary>How long <see cref="Dispose"/> (no host stopped the loop) spends on the final seal, at most.</summary>
    private static readonly TimeSpan DisposeSealBudget = TimeSpan.FromSeconds(5);

    private readonly AuditSealer _sealer;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lifecycle = new();
    private bool _started;
    private bool _stopped;
    private int _failuresSinceSummary;
    private int _consecutiveFailures;
    private DateTimeOffset _lastSummary;

    public AuditSealingLoop(AuditSealer sealer, TimeSpan interval, TimeProvider time, ILogger logger)
    {
        _sealer = sealer;
        _interval = interval;
        _time = time;
        _logger = logger;
    }

    /// <summary>Gets the number of rounds that failed in a row (0 after a successful round).</summary>
    public int ConsecutiveFailures => Volatile.Read(ref _consecutiveFailures);

    /// <summary>Gets when the last round succeeded, or null before the first success.</summary>
    public DateTimeOffset? LastSuccess { get; private set; }

    /// <summary>Starts the loop once; later calls do nothing.</summary>
    public void Start()
    {
        lock (_lifecycle)
        {
            if (_started || _stopped)
            {
                return;
            }

            _started = true;
        }

        _ = base.StartAsync(CancellationToken.None);
    }

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        Start();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops the loop (the round in flight is cancelled) and seals what is still waiting until
    /// <paramref name="cancellationToken"/> (the host's shutdown timeout) fires, so a clean shutdown leaves nothing unsealed.
    /// </summary>
    /// <param name="cancellationToken">Ends the final seal; what is left stays appended and is sealed by the next instance.</param>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        bool wasStarted;
        lock (_lifecycle)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            wasStarted = _started;
        }

        try
        {
            if (wasStarted)
            {
                // Cancels the round in flight and waits for the loop until the host's shutdown timeout.
                await base.StopAsync(cancellationToken).ConfigureAwait(false);
            }

            await SealAllAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogFinalSealCut(_logger);
        }
        catch (Exception failure)
        {
            LogSealFailed(_logger, failure);
        }
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

    /// <summary>
    /// One round of the loop: seals what waits and checkpoints the WAL; a failure is counted and logged rate-limited, never
    /// thrown (cancellation excepted).
    /// </summary>
    /// <param name="cancellationToken">Stops the round.</param>
    /// <returns>Whether the round succeeded.</returns>
    public async Task<bool> RunRoundAsync(CancellationToken cancellationToken)
    {
        using var activity = Diagnostics.EfCoreTelemetry.ActivitySource.StartActivity("hipaa.audit.seal");
        try
        {
            var count = await SealAllAsync(cancellationToken).ConfigureAwait(false);
            activity?.SetTag("hipaa.records_sealed", count);
            Diagnostics.EfCoreTelemetry.RecordsSealed.Add(count);
            await CheckpointAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception failure) when (failure is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, failure.GetType().Name);
            Diagnostics.EfCoreTelemetry.SealFailures.Add(1);
            RecordFailure(failure);
            return false;
        }

        Diagnostics.EfCoreTelemetry.SealSucceeded(_time);

        RecordSuccess();
        return true;
    }

    /// <summary>Stops the loop if no host did, and seals what waits within a few seconds.</summary>
    public override void Dispose()
    {
        try
        {
            using var deadline = new CancellationTokenSource(DisposeSealBudget);
            Task.Run(() => StopAsync(deadline.Token)).GetAwaiter().GetResult();
        }
        catch (Exception failure)
        {
            LogSealFailed(_logger, failure);
        }

        base.Dispose();
        _sealer.Dispose();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await RunRoundAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    private void RecordFailure(Exception failure)
    {
        var now = _time.GetUtcNow();
        var consecutive = Interlocked.Increment(ref _consecutiveFailures);
        if (consecutive == 1)
        {
            _failuresSinceSummary = 0;
            _lastSummary = now;
            LogSealFailed(_logger, failure);
            return;
        }

        _failuresSinceSummary++;
        if (now - _lastSummary >= FailureSummaryInterval)
        {
            LogSealStillFailing(_logger, _failuresSinceSummary, consecutive, LastSuccess?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "never", failure.GetType().Name, failure.Message);
            _failuresSinceSummary = 0;
            _lastSummary = now;
        }
    }

    private void RecordSuccess()
    {
        LastSuccess = _time.GetUtcNow();
        var failed = Interlocked.Exchange(ref _consecutiveFailures, 0);
        if (failed > 0)
        {
            LogSealRecovered(_logger, failed);
        }
    }

    [LoggerMessage(EventId = 2102, EventName = "AuditSealFailed", Level = LogLevel.Error, Message = "Sealing the audit chain failed; records stay appended and unsealed until a later round succeeds. Further failures are summarized at most once a minute. Run 'hipaa audit verify' if this persists.")]
    private static partial void LogSealFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2103, EventName = "AuditSealStillFailing", Level = LogLevel.Error, Message = "Sealing the audit chain is still failing: {Failures} more failed round(s) since the last report, {Consecutive} in a row; last success {LastSuccess}; last error {ErrorType}: {ErrorMessage}")]
    private static partial void LogSealStillFailing(ILogger logger, int failures, int consecutive, string lastSuccess, string errorType, string errorMessage);

    [LoggerMessage(EventId = 2104, EventName = "AuditSealRecovered", Level = LogLevel.Information, Message = "Sealing the audit chain succeeded again after {Failures} failed round(s).")]
    private static partial void LogSealRecovered(ILogger logger, int failures);

    [LoggerMessage(EventId = 2105, EventName = "AuditFinalSealCut", Level = LogLevel.Warning, Message = "The final seal at shutdown was cut short by the shutdown timeout; the records left are sealed by the next instance's sealing loop.")]
    private static partial void LogFinalSealCut(ILogger logger);
}
