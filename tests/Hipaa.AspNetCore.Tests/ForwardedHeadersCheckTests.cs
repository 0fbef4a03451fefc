using System.Net;
using Hipaa.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hipaa.AspNetCore.Tests;

/// <summary>
/// The start-up check of the forwarded-headers configuration: an X-Forwarded-For the application accepts from any address
/// lets every client write the client address of its own audit records.
/// </summary>
public sealed class ForwardedHeadersCheckTests
{
    private const int TrustsEveryAddress = 4106;
    private const int UnboundedForwardLimit = 4107;

    [Fact]
    public async Task Start_XForwardedForAcceptedFromEveryAddress_WarnsThatClientsCanSetTheAuditedAddress()
    {
        IReadOnlyList<CapturingLoggerProvider.LogEntry> entries = await StartAndLogAsync(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
        });

        CapturingLoggerProvider.LogEntry warning = Assert.Single(entries, e => e.EventId.Id == TrustsEveryAddress);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("KnownProxies", warning.Message, StringComparison.Ordinal);
        Assert.Contains("audit", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_UnboundedForwardLimit_Warns()
    {
        IReadOnlyList<CapturingLoggerProvider.LogEntry> entries = await StartAndLogAsync(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            o.ForwardLimit = null;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Add(IPAddress.Parse("10.0.0.5"));
        });

        Assert.Equal(LogLevel.Warning, Assert.Single(entries, e => e.EventId.Id == UnboundedForwardLimit).Level);
        Assert.DoesNotContain(entries, e => e.EventId.Id == TrustsEveryAddress);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Start_NamedProxyOrForwardedHeadersNotProcessed_NoWarning(bool namedProxy)
    {
        IReadOnlyList<CapturingLoggerProvider.LogEntry> entries = await StartAndLogAsync(o =>
        {
            if (namedProxy)
            {
                o.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
                o.KnownProxies.Clear();
                o.KnownIPNetworks.Clear();
                o.KnownProxies.Add(IPAddress.Parse("10.0.0.5"));
            }
        });

        Assert.DoesNotContain(entries, e => e.EventId.Id is TrustsEveryAddress or UnboundedForwardLimit);
    }

    private static async Task<IReadOnlyList<CapturingLoggerProvider.LogEntry>> StartAndLogAsync(Action<ForwardedHeadersOptions> configure)
    {
        var logs = new CapturingLoggerProvider();
        await using PatientApiHost host = await PatientApiHost.StartAsync(configureServices: services =>
        {
            services.AddSingleton<ILoggerProvider>(logs);
            services.Configure(configure);
        });

        return logs.Entries;
    }
}
