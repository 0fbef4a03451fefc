using Hipaa.Auditing;
using Hipaa.Samples.Clinic.Compliance;
using Hipaa.Samples.Clinic.Model;
using Hipaa.Samples.Clinic.Seed;
using Hipaa.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Hipaa.Samples.Clinic.Tests;

/// <summary>
/// <c>--postgres "Host=…"</c>: the same clinic with every store (clinic tables, keys, audit trail, consents) on PostgreSQL,
/// in a database of its own in the cluster scripts/test.sh starts.
/// </summary>
public sealed class ClinicOnPostgresTests
{
    [PostgresFact]
    public async Task Seed_OnPostgres_WritesThePracticeTheTherapistReadsItAndTheTrailVerifies()
    {
        string admin = TestEnvironment.RequirePostgres();
        string name = "hipaa_clinic_" + Guid.NewGuid().ToString("N")[..12];
        string data = Path.Combine(Path.GetTempPath(), name);
        ClinicSettings settings = ClinicSettings.Parse(["--data", data, "--postgres", new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString]);
        try
        {
            await ClinicServices.EnsureClinicDatabaseAsync(settings);
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddClinic(settings, web: false);
            await using (ServiceProvider provider = services.BuildServiceProvider())
            {
                
                Assert.True(await ClinicSeed.Default.SeedAsync(provider));
                Assert.False(await ClinicSeed.Default.SeedAsync(provider)); // a second start finds the practice and leaves it

                using (AccessContext.Begin(ClinicSeed.Default.ContextFor("u-ther-1")))
                await using (ClinicDb db = await provider.GetRequiredService<IDbContextFactory<ClinicDb>>().CreateDbContextAsync())
                {
                    List<ProgressNote> notes = await db.ProgressNotes.Where(n => n.PatientId == ClinicSeed.Default.Ada.Id).ToListAsync();
                    Assert.Equal(2, notes.Count);
                    Assert.Contains(notes, n => n.Text.StartsWith("Reports improved sleep", StringComparison.Ordinal));
                }

                await Task.Delay(TimeSpan.FromSeconds(2)); // one seal interval and more
                (int exit, string output) = await TrailVerification.VerifyAsync(settings);
                Assert.True(exit == TrailVerification.Verified, output);
            }
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(admin);
            await connection.OpenAsync();
            await using var drop = connection.CreateCommand();
            drop.CommandText = $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)";
            await drop.ExecuteNonQueryAsync();
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }
}
