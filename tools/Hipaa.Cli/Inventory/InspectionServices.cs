using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.Cli.Inventory;

/// <summary>
/// The Hipaa.Sdk services <c>UseHipaa</c> is given when the tool builds an application's context itself (no design-time
/// factory): field encryption with a throwaway development key and query auditing, both over SQLite in memory. Only the model
/// is built; no database is opened and nothing is encrypted or recorded. Disposing deletes the throwaway keys.
/// </summary>
internal sealed class InspectionServices : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hipaa-inspection-").FullName;
    private readonly ServiceProvider _provider;

    public InspectionServices()
    {
        var services = new ServiceCollection();
        services.AddHipaa()
            .AddFieldEncryption()
            .UseLocalDevelopmentKey(Path.Combine(_directory, "inspection.kek"))
            .UseKeyStore(o => o.UseSqlite("Data Source=:memory:"))
            .AddQueryAuditing()
            .UseAuditStore(o => o.UseSqlite("Data Source=:memory:"))
            .UseLocalDevelopmentCheckpointSigner(Path.Combine(_directory, "inspection-signing.pem"));
        _provider = services.BuildServiceProvider();
    }

    public IServiceProvider Provider => _provider;

    public void Dispose()
    {
        _provider.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary directory left behind holds only throwaway development keys that protect nothing.
        }
    }
}
