using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Hipaa.Diagnostics;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.Tests.Diagnostics;

/// <summary>
/// The "Hipaa.Sdk" meter counts decisions, KEK calls, appended and sealed audit records, and its tags never carry a
/// patient id. The listener is process-wide (other tests run in parallel), so counts are asserted as lower bounds and the
/// tag check covers every measurement seen.
/// </summary>
public sealed class HipaaTelemetryTests : IDisposable
{
    private static readonly CountingKeyEncryptionKey Kek = new("kek-telemetry");
    private readonly TestDatabase _database = TestDatabase.Create("sqlite");
    private readonly ConcurrentQueue<(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task Meter_DecisionsKekCallsAppendsAndSeals_AreMeasuredWithoutPatientIds()
    {
        const string PatientId = "p-telemetry-7c1f";
        using var listener = Listen();
        await using var services = Build();
        var runtime = services.GetRequiredService<Hipaa.EfCore.Auditing.AuditRuntime>();
        var keyRing = services.GetRequiredService<Hipaa.EfCore.Encryption.FieldEncryptionRuntime>().KeyRing;

        var decision = PolicyEngine.Default.Decide(new AccessRequest
        {
            Actor = new Actor("u-telemetry", [WellKnownRoles.FrontDesk], "practice", []),
            PatientId = PatientId,
            Category = DataCategory.PsychotherapyNote,
            Action = PhiAction.Read,
            Purpose = PurposeOfUse.Treatment,
            At = new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero),
        });
        await keyRing.GetEncryptionKeyAsync("patient:" + PatientId, CancellationToken.None);
        runtime.Writer.Append([runtime.NewEntry(AuditHost.Therapist(), Hipaa.Auditing.AuditAction.Read, "Note", PatientId)]);
        Assert.True(await runtime.Sealing!.RunRoundAsync(CancellationToken.None));
        listener.RecordObservableInstruments();

        Assert.Equal(AccessOutcome.Deny, decision.Outcome);
        Assert.Contains(_measurements, m => m.Instrument == "hipaa.policy.decisions" && m.Tags.Any(t => t.Key == "hipaa.outcome" && (string?)t.Value == "Deny"));
        Assert.Contains(_measurements, m => m.Instrument == "hipaa.kek.calls" && m.Tags.Any(t => t.Key == "hipaa.operation" && (string?)t.Value == "wrap"));
        Assert.Contains(_measurements, m => m.Instrument == "hipaa.kek.duration" && m.Value >= 0);
        Assert.Contains(_measurements, m => m.Instrument == "hipaa.audit.records_appended" && m.Value >= 1);
        Assert.Contains(_measurements, m => m.Instrument == "hipaa.audit.records_sealed" && m.Value >= 1);
        Assert.Contains(_measurements, m => m.Instrument == "hipaa.audit.seal.age" && m.Value >= 0);
        Assert.All(_measurements, m => Assert.DoesNotContain(m.Tags, t => Convert.ToString(t.Value, System.Globalization.CultureInfo.InvariantCulture)!.Contains("p-telemetry", StringComparison.Ordinal)));
        Assert.All(_measurements.SelectMany(m => m.Tags), t => Assert.StartsWith("hipaa.", t.Key, StringComparison.Ordinal));
    }

    private MeterListener Listen()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == HipaaDiagnostics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => _measurements.Enqueue((i.Name, v, tags.ToArray())));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => _measurements.Enqueue((i.Name, v, tags.ToArray())));
        listener.Start();
        return listener;
    }

    private ServiceProvider Build()
    {
        var services = new ServiceCollection();
        services.AddHipaa()
            .AddFieldEncryption()
            .UseKeyEncryptionKey(_ => Kek, KeyWrapAlgorithm.AesGcmKeyWrap256)
            .UseKeyStore(_database.UseForKeys)
            .AddQueryAuditing(o => o.SealInterval = TimeSpan.FromMinutes(10))
            .UseAuditStore(_database.Use)
            .UseLocalDevelopmentCheckpointSigner(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath);
        services.AddDbContextFactory<ClinicDb>((sp, options) => _database.Use(options.UseHipaa(sp)));
        var provider = services.BuildServiceProvider();
        using var context = provider.GetRequiredService<IDbContextFactory<ClinicDb>>().CreateDbContext();
        context.Database.EnsureCreated();
        return provider;
    }
}
