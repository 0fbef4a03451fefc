using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Auditing.Integrity;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Hipaa.EfCore.Tests.Auditing;

/// <summary>
/// The sealing loop logs a failing store once with its exception, then at most one summary a minute, and one line when it
/// recovers (it used to log a full stack trace every second); it stops when asked, whatever the store does.
/// </summary>
public sealed class AuditSealingLoopTests : IDisposable
{
    private readonly TestDatabase _database = TestDatabase.Create("sqlite");
    private readonly CapturingLoggerProvider _logs = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task RunRoundAsync_StoreKeepsFailing_LogsTheExceptionOnceThenASummaryAtMostOnceAMinute()
    {
        using var loop = CreateLoop();

        for (var second = 0; second < 150; second++)
        {
            Assert.False(await loop.RunRoundAsync(CancellationToken.None));
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        var first = Assert.Single(_logs.Entries, e => e.EventId.Id == 2102);
        Assert.Equal(LogLevel.Error, first.Level);
        Assert.Contains("SqliteException", first.Text, StringComparison.Ordinal);
        var summaries = _logs.Entries.Where(e => e.EventId.Id == 2103).ToList();
        Assert.Equal(2, summaries.Count); // at 60 s and 120 s after the first failure, not 149 times
        Assert.Contains("in a row", summaries[1].Text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", summaries[1].Text, StringComparison.Ordinal); // no stack trace in a summary
        Assert.Equal(150, loop.ConsecutiveFailures);
    }

    [Fact]
    public async Task RunRoundAsync_StoreRecovers_LogsTheRecoveryOnceAndResetsTheCount()
    {
        using var loop = CreateLoop();
        Assert.False(await loop.RunRoundAsync(CancellationToken.None));
        Assert.False(await loop.RunRoundAsync(CancellationToken.None));

        using (var store = new AuditDbContext(StoreOptions()))
        {
            await store.Database.EnsureCreatedAsync();
        }

        Assert.True(await loop.RunRoundAsync(CancellationToken.None));
        Assert.True(await loop.RunRoundAsync(CancellationToken.None));

        var recovered = Assert.Single(_logs.Entries, e => e.EventId.Id == 2104);
        Assert.Contains("after 2 failed round(s)", recovered.Text, StringComparison.Ordinal);
        Assert.Equal(0, loop.ConsecutiveFailures);
        Assert.Equal(_time.GetUtcNow(), loop.LastSuccess);
    }

    [Fact]
    public async Task StopAsync_ShutdownTimeoutAlreadyOver_EndsTheLoopAndReportsTheCutFinalSeal()
    {
        using var loop = CreateLoop();
        loop.Start();

        await loop.StopAsync(new CancellationToken(canceled: true));

        // Ended (or, stopped before it ran, cancelled); the delay only guards against a hang, it is not a timing assertion.
        await Task.WhenAny(loop.ExecuteTask!, Task.Delay(TimeSpan.FromMinutes(1)));
        Assert.True(loop.ExecuteTask!.IsCompleted);
        Assert.Contains(_logs.Entries, e => e.EventId.Id == 2105);
    }

    [Fact]
    public async Task StopAsync_CalledTwiceAndStartedAgain_StaysStoppedWithoutErrors()
    {
        using (var store = new AuditDbContext(StoreOptions()))
        {
            await store.Database.EnsureCreatedAsync();
        }

        using var loop = CreateLoop();
        loop.Start();
        await loop.StopAsync(CancellationToken.None);
        await loop.StopAsync(CancellationToken.None);
        loop.Start(); // a stopped loop does not start again

        Assert.True(loop.ExecuteTask!.IsCompleted);
        Assert.DoesNotContain(_logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    private AuditSealingLoop CreateLoop()
    {
        var factory = LoggerFactory.Create(b => b.AddProvider(_logs));
        var sealer = new AuditSealer(StoreOptions(), LocalDevelopmentCheckpointSigner.OpenOrCreate(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath), _time);
        return new AuditSealingLoop(sealer, TimeSpan.FromSeconds(1), _time, factory.CreateLogger("Hipaa.Auditing.Sealing"));
    }

    private DbContextOptions<AuditDbContext> StoreOptions()
    {
        var options = new DbContextOptionsBuilder<AuditDbContext>();
        _database.Use(options);
        return options.Options;
    }
}
