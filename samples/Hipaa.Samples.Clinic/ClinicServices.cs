using System.Data.Common;
using System.Globalization;
using Hipaa.Encryption;
using Hipaa.Samples.Clinic.RecordAccess;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Hipaa.Samples.Clinic;

/// <summary>The set-up an EHR needs: these lines, and the attributes on the model.</summary>
public static class ClinicServices
{
    /// <summary>
    /// Registers Hipaa.Sdk (field encryption under a per-patient data key, access auditing, policy enforcement with the
    /// default behavioral-health catalog, the EF consent store, the patient's right of access) and the clinic's context.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="settings">Where the data lives.</param>
    /// <param name="web">Whether to add ASP.NET Core PHI authorization (the web app) as well.</param>
    /// <returns>The Hipaa builder, for more configuration.</returns>
    public static IHipaaBuilder AddClinic(this IServiceCollection services, ClinicSettings settings, bool web)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(settings);
        Directory.CreateDirectory(settings.DataDirectory);

        IHipaaBuilder hipaa = services.AddHipaa()
            .AddFieldEncryption(o => o.KeyScope = KeyScope.Patient)          // one data key per patient: erasable
            .UseLocalDevelopmentKey(settings.KeyEncryptionKeyFile)           // production: UseKeyEncryptionKey(KMS or HSM)
            .UseKeyStore(settings.UseKeyDatabase)                            // wrapped keys live here
            .AddQueryAuditing(o => o.ClientApplication = "clinic-web")
            .UseAuditStore(settings.UseClinicDatabase)                       // every access, in the clinic's own database
            .UseLocalDevelopmentCheckpointSigner(settings.SigningKeyFile)    // production: an HSM/KMS key
            .AddPolicyEnforcement()                                          // the default behavioral-health roles and rules
            .UseConsentStore(settings.UseClinicDatabase)                     // Part 2 consents and authorizations, encrypted
            .AddPatientRecordExport(o => o.ComplaintContact = "Beatrice Stone, Privacy Officer, (555) 010-0100")
            .AddPatientRecordSource<ChartRecordSources>();
        if (web)
        {
            hipaa.AddPhiAuthorization();                                     // ASP.NET Core: the same engine in front of the pages
        }

        services.AddDbContextFactory<ClinicDb>((sp, o) =>
        {
            settings.UseClinicDatabase(o);
            o.UseHipaa(sp);
        });
        return hipaa;
    }

    /// <summary>
    /// Creates the clinic's tables (with the audit tables <c>UseHipaa</c> adds to its model) when they are missing, also in a
    /// database that already holds other tables; the key and consent stores make their own. Run it before the application's
    /// services are first used: it works in a short-lived service provider of its own, without logging, whose background
    /// audit sealer may find no table yet while this creates them.
    /// </summary>
    /// <param name="settings">Where the data lives.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    public static async Task EnsureClinicDatabaseAsync(ClinicSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddClinic(settings, web: false);
        await using ServiceProvider provider = services.BuildServiceProvider();
        var contexts = provider.GetRequiredService<IDbContextFactory<ClinicDb>>();
        await using ClinicDb db = await contexts.CreateDbContextAsync(cancellationToken);
        var creator = db.GetService<IRelationalDatabaseCreator>();
        if (!await creator.ExistsAsync(cancellationToken))
        {
            await creator.CreateAsync(cancellationToken);
        }

        await using DbConnection connection = settings.UsesPostgres
            ? new NpgsqlConnection(settings.ClinicConnectionString)
            : new SqliteConnection(settings.ClinicConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using DbCommand command = connection.CreateCommand();
        command.CommandText = settings.UsesPostgres
            ? "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'Patients'"
            : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'Patients'";
        if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 0)
        {
            await creator.CreateTablesAsync(cancellationToken);
        }
    }
}
