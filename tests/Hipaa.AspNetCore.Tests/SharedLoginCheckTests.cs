using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Hipaa.Auditing;
using Hipaa.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hipaa.AspNetCore.Tests;

/// <summary>
/// The live shared-login check on a real Kestrel server, with requests really coming from different loopback addresses
/// (127.0.0.2, 127.0.0.3): back and forth between two workstations raises an alert; moving from one to the other does
/// not; a second concurrent session is refused, and audited, only when the practice opts in.
/// </summary>
public sealed class SharedLoginCheckTests
{
    private const string Notes = "/patients/p1/progress-notes";

    private static readonly TestUser SecondTherapist = new("second therapist", ("sub", "u-ther-2"), ("role", "Therapist"), ("care_team", "p1"), ("azp", "ehr-web"));

    [Fact]
    public async Task Request_SameUserBackAndForthBetweenTwoWorkstations_RaisesOneAlertAndLogsIt()
    {
        var (alerts, logs) = (new AlertRecorder(), new CapturingLoggerProvider());
        await using var host = await StartAsync(alerts, logs);

        Assert.Equal(HttpStatusCode.OK, await GetAsync(host, "127.0.0.2", TestUser.Therapist));
        host.Time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(host, "127.0.0.3", TestUser.Therapist));
        host.Time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(host, "127.0.0.2", TestUser.Therapist)); // alerts, not refused by default

        var alert = Assert.Single(alerts.Alerts);
        Assert.Equal(("u-ther", "127.0.0.2", "127.0.0.3", "ehr-web", false), (alert.ActorId, alert.ClientAddress, alert.OtherClientAddress, alert.ClientApplication, alert.Refused));
        Assert.Equal(PatientApiHost.Start.AddSeconds(20), alert.OtherLastSeen);
        Assert.Equal("User u-ther made a request from 127.0.0.2 via ehr-web 20 s after one from 127.0.0.3 via ehr-web, while active at both: a shared login or a stolen credential.", alert.Explanation);
        var logged = Assert.Single(logs.Entries, e => e.EventId.Id == 4109);
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.Contains(alert.Explanation, logged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_UserMovingToAnotherWorkstation_RaisesNoAlert()
    {
        var alerts = new AlertRecorder();
        await using var host = await StartAsync(alerts);

        foreach (var address in new[] { "127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3", "127.0.0.3" })
        {
            Assert.Equal(HttpStatusCode.OK, await GetAsync(host, address, TestUser.Therapist));
            host.Time.Advance(TimeSpan.FromSeconds(15));
        }

        host.Time.Advance(TimeSpan.FromMinutes(5)); // back at the first workstation after the window
        Assert.Equal(HttpStatusCode.OK, await GetAsync(host, "127.0.0.2", TestUser.Therapist));
        Assert.Empty(alerts.Alerts);
    }

    [Fact]
    public async Task Request_DifferentUsersAlternatingBetweenTheSameWorkstations_RaiseNoAlert()
    {
        var alerts = new AlertRecorder();
        await using var host = await StartAsync(alerts);

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await GetAsync(host, i % 2 == 0 ? "127.0.0.2" : "127.0.0.3", i % 2 == 0 ? TestUser.Therapist : SecondTherapist));
            host.Time.Advance(TimeSpan.FromSeconds(5));
        }

        Assert.Empty(alerts.Alerts);
    }

    [Fact]
    public async Task Request_SecondSessionUnderRefuseConcurrentSessions_IsRefusedAuditedAndAdmittedOnceTheWindowPassed()
    {
        var (alerts, audit) = (new AlertRecorder(), new RecordingAuditSink());
        await using var host = await StartAsync(alerts, audit: audit, configure: o => o.SharedLogins.RefuseConcurrentSessions = true);

        Assert.Equal(HttpStatusCode.OK, await GetAsync(host, "127.0.0.2", TestUser.Therapist));
        host.Time.Advance(TimeSpan.FromSeconds(30));
        using (var refused = await SendAsync(host, "127.0.0.3", TestUser.Therapist))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("identity.concurrent-session", await refused.RuleIdAsync());
        }

        host.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(host, "127.0.0.2", TestUser.Therapist)); // the first session goes on
        host.Time.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(host, "127.0.0.3", TestUser.Therapist)); // moved, after the window

        var alert = Assert.Single(alerts.Alerts);
        Assert.Equal(("127.0.0.3", "127.0.0.2", true), (alert.ClientAddress, alert.OtherClientAddress, alert.Refused));
        var record = Assert.Single(audit.Records, r => r.Outcome == AuditOutcome.Denied);
        Assert.Equal(("u-ther", AuditOutcome.Denied, "127.0.0.3", "Deny identity.concurrent-session"), (record.ActorId, record.Outcome, record.ClientAddress, record.Decision));
    }

    [Fact]
    public async Task Request_AlertHandlerThatThrows_IsLoggedAndTheRequestStillSucceeds()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await StartAsync(new ThrowingHandler(), logs);

        foreach (var address in new[] { "127.0.0.2", "127.0.0.3", "127.0.0.2" })
        {
            Assert.Equal(HttpStatusCode.OK, await GetAsync(host, address, TestUser.Therapist));
            host.Time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.Single(logs.Entries, e => e.EventId.Id == 4110 && e.Level == LogLevel.Error);
    }

    [Fact]
    public async Task Request_CheckDisabled_RaisesNoAlert()
    {
        var alerts = new AlertRecorder();
        await using var host = await StartAsync(alerts, configure: o => o.SharedLogins.Enabled = false);

        foreach (var address in new[] { "127.0.0.2", "127.0.0.3", "127.0.0.2" })
        {
            Assert.Equal(HttpStatusCode.OK, await GetAsync(host, address, TestUser.Therapist));
        }

        Assert.Empty(alerts.Alerts);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(3601)]
    public void StartUp_ConcurrencyWindowOutOfRange_FailsNamingIt(int seconds)
    {
        var services = new ServiceCollection();
        services.AddHipaa().AddPhiAuthorization(o => o.SharedLogins.ConcurrencyWindow = TimeSpan.FromSeconds(seconds));
        using var provider = services.BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PhiAuthorizationOptions>>().Value);
        Assert.Contains("SharedLogins.ConcurrencyWindow", failure.Message, StringComparison.Ordinal);
    }

    private static Task<PatientApiHost> StartAsync(ISharedLoginAlertHandler handler, CapturingLoggerProvider? logs = null, RecordingAuditSink? audit = null, Action<PhiAuthorizationOptions>? configure = null) =>
        PatientApiHost.StartAsync(
            configurePhi: configure,
            configureServices: services =>
            {
                services.AddSingleton(handler);
                if (logs is not null)
                {
                    services.AddSingleton<ILoggerProvider>(logs);
                }

                if (audit is not null)
                {
                    services.AddSingleton<IAuditSink>(audit);
                }
            });

    private static async Task<HttpStatusCode> GetAsync(PatientApiHost host, string sourceAddress, TestUser user)
    {
        using var response = await SendAsync(host, sourceAddress, user);
        return response.StatusCode;
    }

    /// <summary>A request whose TCP connection really comes from <paramref name="sourceAddress"/> (a loopback address).</summary>
    private static async Task<HttpResponseMessage> SendAsync(PatientApiHost host, string sourceAddress, TestUser user)
    {
        var handler = new SocketsHttpHandler
        {
            UseCookies = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(sourceAddress), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = host.Client.BaseAddress };
        return await client.GetAsUserAsync(Notes, user);
    }

    private sealed class AlertRecorder : ISharedLoginAlertHandler
    {
        public ConcurrentQueue<SharedLoginAlert> Alerts { get; } = new();

        public ValueTask HandleAsync(SharedLoginAlert alert, CancellationToken cancellationToken)
        {
            Alerts.Enqueue(alert);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class ThrowingHandler : ISharedLoginAlertHandler
    {
        public ValueTask HandleAsync(SharedLoginAlert alert, CancellationToken cancellationToken) => throw new InvalidOperationException("pager down");
    }

    private sealed class RecordingAuditSink : IAuditSink
    {
        public ConcurrentQueue<AuditRecord> Records { get; } = new();

        public Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default)
        {
            foreach (var record in records)
            {
                Records.Enqueue(record);
            }

            return Task.CompletedTask;
        }
    }
}
