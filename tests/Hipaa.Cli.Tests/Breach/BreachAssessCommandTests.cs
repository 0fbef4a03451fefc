using System.Globalization;
using System.Text.Json;
using Hipaa.Cli.Tests.Policy;

namespace Hipaa.Cli.Tests.Breach;

/// <summary><c>hipaa breach assess</c> on a real trail and key table written through <c>UseHipaa</c> (<see cref="ClinicTrail"/>).</summary>
public sealed class BreachAssessCommandTests(ClinicTrail trail) : IClassFixture<ClinicTrail>
{
    private static readonly string A = ClinicTrail.A.ToString();
    private static readonly string B = ClinicTrail.B.ToString();
    private static readonly string C = ClinicTrail.C.ToString();
    private static readonly string D = ClinicTrail.D.ToString();

    [Fact]
    public void Assess_CompromisedUser_ListsEveryPatientItReadAsUnsecuredWithTheirCategoriesAndTheDeadline()
    {
        CliRun run = CliRun.Of(trail.Assess("--user", "u-billing", "--format", "json"));

        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Output);
        JsonElement root = json.RootElement;
        Assert.Equal("hipaa-breach-assessment/1", root.GetProperty("format").GetString());
        Assert.True(root.GetProperty("trail").GetProperty("verified").GetBoolean());
        Assert.Equal(("2026-03-10", "2026-05-09"), (root.GetProperty("discovered").GetString(), root.GetProperty("notificationDeadline").GetString()));
        Assert.Equal(("annual-log", "2027-03-01"), (root.GetProperty("hhs").GetProperty("notice").GetString(), root.GetProperty("hhs").GetProperty("deadline").GetString()));
        Assert.Equal([A, B, C], Patients(root));
        Assert.Equal(3, root.GetProperty("individualsToNotify").GetInt32());
        JsonElement c = Patient(root, C);
        Assert.Equal(["Claim", "Demographics"], Strings(c.GetProperty("categories")));
        Assert.Equal(
            ["Claim.Amount unsecured", "Claim.DiagnosisCode unsecured", "ClinicPatient.BirthDate unsecured", "ClinicPatient.Mrn unsecured", "ClinicPatient.Name unsecured", "ClinicPatient.State unsecured"],
            Fields(c).Where(f => !f.EndsWith("written", StringComparison.Ordinal)));
        Assert.Contains("decrypted it", FieldReason(c, "ClinicPatient", "Name"), StringComparison.Ordinal);
        Assert.Equal((2, 1), (c.GetProperty("reads").GetInt32(), c.GetProperty("writes").GetInt32()));
        Assert.Equal(["Claim.Amount unsecured", "Claim.DiagnosisCode unsecured"], Fields(Patient(root, A)).Where(f => f.EndsWith("unsecured", StringComparison.Ordinal)));
        Assert.Empty(Strings(root.GetProperty("safeHarborPatients")));
    }

    [Fact]
    public void Assess_CompromisedPatientKey_ReportsThatPatientsEncryptedFieldsAsNotSafeHarborAndEveryOtherPatientAsSafeHarbor()
    {
        string key = trail.KeyId("patient:" + A);

        CliRun run = CliRun.Of(trail.Assess("--key", key, "--format", "json"));

        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Output);
        JsonElement root = json.RootElement;
        Assert.Equal([A], Patients(root));
        Assert.Equal(
            ["ClinicPatient.BirthDate unsecured", "ClinicPatient.Mrn unsecured", "ClinicPatient.Name unsecured", "ProgressNote.Text unsecured", "PsychotherapyNote.Text unsecured"],
            Fields(Patient(root, A)));
        Assert.Equal(["Demographics", "ProgressNote", "PsychotherapyNote"], Strings(Patient(root, A).GetProperty("categories")));
        Assert.Contains("compromised key (scope patient:" + A + ")", FieldReason(Patient(root, A), "PsychotherapyNote", "Text"), StringComparison.Ordinal);
        Assert.Equal([B, C, D], Strings(root.GetProperty("safeHarborPatients")));
        JsonElement compromised = Assert.Single(root.GetProperty("compromisedKeys").EnumerateArray());
        Assert.Equal(("Data", "patient:" + A), (compromised.GetProperty("kind").GetString(), compromised.GetProperty("scope").GetString()));
    }

    [Fact]
    public void Assess_CompromisedIntermediateKey_ExposesEveryPatientsEncryptedFields()
    {
        CliRun run = CliRun.Of(trail.Assess("--key", trail.KeyId("root"), "--format", "json"));

        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal([A, B, C, D], Patients(json.RootElement));
        Assert.Contains(json.RootElement.GetProperty("compromisedKeys").EnumerateArray(), k => k.GetProperty("state").GetString() == "Destroyed" && k.GetProperty("scope").GetString() == "patient:" + D);
    }

    [Fact]
    public void Assess_TimeWindow_ClassifiesPlaintextFieldsAsUnsecuredAndEncryptedOnesAsSafeHarbor()
    {
        CliRun run = CliRun.Of(trail.Assess("--from", trail.ReadsFrom.ToString("O", CultureInfo.InvariantCulture), "--to", trail.ReadsTo.ToString("O", CultureInfo.InvariantCulture), "--format", "json"));

        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Output);
        JsonElement root = json.RootElement;
        Assert.Equal([A, B], Patients(root));
        Assert.Equal(["ProgressNote.VisitedAt unsecured", "ProgressNote.Text safe-harbor", "PsychotherapyNote.Text safe-harbor"], Fields(Patient(root, A)));
        Assert.Equal(["ProgressNote.VisitedAt unsecured", "ProgressNote.Text safe-harbor"], Fields(Patient(root, B)));
    }

    [Fact]
    public void Assess_WindowOverTheShreddedPatientsCreation_SaysItsKeyWasShredded()
    {
        CliRun run = CliRun.Of(trail.Assess("--from", "2000-01-01", "--to", trail.ReadsFrom.ToString("O", CultureInfo.InvariantCulture), "--format", "json"));

        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Output);
        JsonElement d = Patient(json.RootElement, D);
        Assert.Equal(["ClinicPatient.State unsecured", "ClinicPatient.BirthDate safe-harbor", "ClinicPatient.Mrn safe-harbor", "ClinicPatient.Name safe-harbor"], Fields(d));
        Assert.Contains("shredded", FieldReason(d, "ClinicPatient", "Name"), StringComparison.Ordinal);
    }

    [Fact]
    public void Assess_Markdown_StatesVerificationDeadlinesAndThresholds()
    {
        CliRun run = CliRun.Of(trail.Assess("--user", "u-ther-1"));

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.StartsWith("# Breach assessment: compromised account u-ther-1", run.Output, StringComparison.Ordinal);
        Assert.Contains("Audit trail verified: ", run.Output, StringComparison.Ordinal);
        Assert.Contains("**no later than 2026-05-09**", run.Output, StringComparison.Ordinal);
        Assert.Contains("- Individuals with unsecured PHI: **2**", run.Output, StringComparison.Ordinal);
        Assert.Contains("fewer than 500 individuals", run.Output, StringComparison.Ordinal);
        Assert.Contains("more than 500 residents of one State", run.Output, StringComparison.Ordinal);
        Assert.Contains($"### Patient {A}: **unsecured PHI: notification required**", run.Output, StringComparison.Ordinal);
        Assert.Contains("| PsychotherapyNote | Text | PsychotherapyNote | yes | patient:" + A + " | unsecured |", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("WARNING", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Assess_WithoutAnchor_ReportsTheTrailAsNotVerifiedAndExitsFive()
    {
        string[] args = [.. trail.Assess("--user", "u-billing").Where(a => a != "--public-key" && a != trail.PublicKeyPath)];

        CliRun run = CliRun.Of(args);

        Assert.Equal(5, run.ExitCode);
        Assert.Contains("**WARNING: THE AUDIT TRAIL DID NOT VERIFY.**", run.Output, StringComparison.Ordinal);
        Assert.Contains("UNANCHORED", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Assess_WithoutAssembly_CountsEveryFieldAsUnsecured()
    {
        string[] args = [.. trail.Assess("--key", trail.KeyId("patient:" + B), "--format", "json").Where(a => a != "--assembly" && a != ClinicTrail.AssemblyPath)];

        CliRun run = CliRun.Of(args);

        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal([A, B, C, D], Patients(json.RootElement));
        Assert.Contains(Strings(json.RootElement.GetProperty("notes")), n => n.StartsWith("No --assembly was given", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("both", "Give one compromise: --user or --key, not both.")]
    [InlineData("none", "Say what was compromised")]
    [InlineData("half-window", "A time window needs both ends")]
    [InlineData("reversed", "is after --to")]
    [InlineData("malformed-key", "is not a key id")]
    [InlineData("key-with-window", "--from/--to do not apply to --key")]
    [InlineData("bad-discovered", "--discovered 'yesterday' is not a date")]
    public void Assess_BadArguments_ExitTwoWithASpecificMessage(string kind, string message)
    {
        string key = trail.KeyId("patient:" + A);
        string[] more = kind switch
        {
            "both" => ["--user", "u-billing", "--key", key],
            "none" => [],
            "half-window" => ["--from", "2026-03-01"],
            "reversed" => ["--from", "2026-03-02", "--to", "2026-03-01"],
            "malformed-key" => ["--key", "not-a-guid"],
            "key-with-window" => ["--key", key, "--from", "2026-03-01", "--to", "2026-03-02"],
            _ => ["--user", "u-billing"],
        };
        string[] args = [.. trail.Assess(more).Select(a => kind == "bad-discovered" && a == "2026-03-10" ? "yesterday" : a)];

        CliRun run = CliRun.Of(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
        Assert.Empty(run.Output);
    }

    [Fact]
    public void Assess_UnknownKeyId_ExitsTwoAndNamesTheKey()
    {
        CliRun run = CliRun.Of(trail.Assess("--key", "0197c000-0000-7000-8000-0000000000ff"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("The key table has no key with id 0197c000-0000-7000-8000-0000000000ff", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Assess_UnreadableAssembly_ExitsTwo()
    {
        string file = Path.Combine(Path.GetTempPath(), "hipaa-cli-not-an-assembly-" + Guid.NewGuid().ToString("N") + ".dll");
        File.WriteAllText(file, "not a PE file");
        try
        {
            string[] args = [.. trail.Assess("--user", "u-billing").Select(a => a == ClinicTrail.AssemblyPath ? file : a)];

            CliRun run = CliRun.Of(args);

            Assert.Equal(2, run.ExitCode);
            Assert.Contains("is not a .NET assembly", run.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static List<string> Patients(JsonElement root) => [.. root.GetProperty("patients").EnumerateArray().Select(p => p.GetProperty("patientId").GetString()!)];

    private static JsonElement Patient(JsonElement root, string id) => root.GetProperty("patients").EnumerateArray().Single(p => p.GetProperty("patientId").GetString() == id);

    private static List<string> Fields(JsonElement patient) =>
        [.. patient.GetProperty("fields").EnumerateArray().Select(f => $"{f.GetProperty("entity").GetString()}.{f.GetProperty("field").GetString()} {f.GetProperty("classification").GetString()}")];

    private static string FieldReason(JsonElement patient, string entity, string field) =>
        patient.GetProperty("fields").EnumerateArray().Single(f => f.GetProperty("entity").GetString() == entity && f.GetProperty("field").GetString() == field).GetProperty("reason").GetString()!;

    private static List<string> Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];
}
