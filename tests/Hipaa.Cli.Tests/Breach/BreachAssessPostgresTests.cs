using System.Text.Json;
using Hipaa.Cli.Tests.Policy;
using Hipaa.Testing;

namespace Hipaa.Cli.Tests.Breach;

/// <summary><c>hipaa breach assess</c> with the clinic, its audit trail and its key table in PostgreSQL.</summary>
public sealed class BreachAssessPostgresTests
{
    [PostgresFact]
    public void Assess_OnPostgres_CompromisedUserAndPatientKeyGiveTheSamePatientsAsOnSqlite()
    {
        using var trail = new ClinicTrail("postgres");

        CliRun user = CliRun.Of(trail.Assess("--user", "u-billing", "--format", "json"));
        CliRun key = CliRun.Of(trail.Assess("--key", trail.KeyId("patient:" + ClinicTrail.A), "--format", "json"));

        Assert.True(user.ExitCode == 0, user.Error);
        Assert.True(key.ExitCode == 0, key.Error);
        using var userJson = JsonDocument.Parse(user.Output);
        using var keyJson = JsonDocument.Parse(key.Output);
        Assert.True(userJson.RootElement.GetProperty("trail").GetProperty("verified").GetBoolean());
        Assert.Equal([ClinicTrail.A.ToString(), ClinicTrail.B.ToString(), ClinicTrail.C.ToString()], Patients(userJson.RootElement));
        Assert.Equal([ClinicTrail.A.ToString()], Patients(keyJson.RootElement));
        Assert.Equal(
            [ClinicTrail.B.ToString(), ClinicTrail.C.ToString(), ClinicTrail.D.ToString()],
            keyJson.RootElement.GetProperty("safeHarborPatients").EnumerateArray().Select(p => p.GetString()!));
    }

    private static List<string> Patients(JsonElement root) => [.. root.GetProperty("patients").EnumerateArray().Select(p => p.GetProperty("patientId").GetString()!)];
}
