namespace Hipaa.AspNetCore.Tests.Infrastructure;

/// <summary>One patient API host with default options, shared by the tests of a class.</summary>
public sealed class PatientApiFixture : IAsyncLifetime
{
    private PatientApiHost? _host;

    public PatientApiHost Host => _host ?? throw new InvalidOperationException("The host is not started.");

    public async Task InitializeAsync() => _host = await PatientApiHost.StartAsync();

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
