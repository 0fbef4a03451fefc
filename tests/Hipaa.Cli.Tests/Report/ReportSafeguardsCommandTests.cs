using System.Text.Json;
using Hipaa.Cli.Report;
using Hipaa.Cli.Tests.Breach;
using Hipaa.Cli.Tests.Policy;
using Hipaa.Policy;

namespace Hipaa.Cli.Tests.Report;

/// <summary><c>hipaa report safeguards</c> on the built assembly of a clinic data layer the tests control (Hipaa.Cli.ClinicDriver).</summary>
public sealed class ReportSafeguardsCommandTests
{
    [Fact]
    public void Safeguards_Json_ListsEveryPhiPropertyWithCategoryEncryptionKeyScopeSearchAndAuditCoverage()
    {
        CliRun run = CliRun.Of("report", "safeguards", "--assembly", ClinicTrail.AssemblyPath, "--format", "json");

        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Output);
        JsonElement context = Assert.Single(json.RootElement.GetProperty("contexts").EnumerateArray());
        Assert.Equal(("Hipaa.Cli.ClinicDriver.ClinicDb", "options-constructor", "Patient", false), (
            context.GetProperty("context").GetString(),
            context.GetProperty("construction").GetString(),
            context.GetProperty("keyScope").GetString(),
            context.GetProperty("keyScopeConfigured").GetBoolean()));
        List<JsonElement> entities = [.. context.GetProperty("entities").EnumerateArray()];
        Assert.Equal(["Claim", "ClinicPatient", "ProgressNote", "PsychotherapyNote"], entities.Select(e => e.GetProperty("name").GetString()));
        JsonElement patient = entities.Single(e => e.GetProperty("name").GetString() == "ClinicPatient");
        Assert.Equal(("Demographics", "PatientId", true, true), (
            patient.GetProperty("category").GetString(),
            patient.GetProperty("patientId").GetString(),
            patient.GetProperty("auditedReads").GetBoolean(),
            patient.GetProperty("auditedWrites").GetBoolean()));
        Assert.Equal(
            ["Id key plain", "BirthDate patient encrypted", "Mrn patient encrypted searchable", "Name patient encrypted", "PatientId patient-id plain", "State - plain"],
            patient.GetProperty("properties").EnumerateArray().Select(Describe));
        Assert.Equal(["ClinicSetting"], context.GetProperty("unprotectedEntities").EnumerateArray().Select(e => e.GetString()));
        JsonElement note = entities.Single(e => e.GetProperty("name").GetString() == "PsychotherapyNote");
        Assert.Equal(["PSY"], note.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.Contains("AuthorId author-id plain", note.GetProperty("properties").EnumerateArray().Select(Describe));
        JsonElement claim = entities.Single(e => e.GetProperty("name").GetString() == "Claim");
        Assert.All(claim.GetProperty("properties").EnumerateArray(), p => Assert.False(p.GetProperty("encrypted").GetBoolean()));
    }

    [Fact]
    public void Safeguards_RoleMatrix_IsTheDefaultCatalogsGrantsCellByCell()
    {
        CliRun run = CliRun.Of("report", "safeguards", "--assembly", ClinicTrail.AssemblyPath, "--format", "json");

        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Output);
        JsonElement matrix = json.RootElement.GetProperty("roleMatrix");
        RoleCatalog catalog = RoleCatalog.CreateDefault();
        Assert.Equal(catalog.Roles, matrix.GetProperty("roles").EnumerateArray().Select(r => r.GetProperty("role").GetString()!));
        int checkedCells = 0;
        foreach (JsonElement role in matrix.GetProperty("roles").EnumerateArray())
        {
            string name = role.GetProperty("role").GetString()!;
            foreach (DataCategory category in catalog.Categories)
            {
                JsonElement? grant = role.GetProperty("grants").EnumerateArray().Cast<JsonElement?>().SingleOrDefault(g => g!.Value.GetProperty("category").GetString() == category.Name);
                foreach (PhiAction action in RoleMatrix.Actions)
                {
                    List<string> expected = [.. RoleMatrix.KnownPurposes.Where(p => catalog.IsGranted(name, category, action, p) && catalog.AllowsPurpose(name, p, action)).Select(p => p.Code)];
                    List<string> actual = grant is { } g && g.GetProperty("actions").TryGetProperty(action.ToString(), out JsonElement purposes)
                        ? [.. purposes.EnumerateArray().Select(p => p.GetString()!)]
                        : [];
                    Assert.Equal(expected, actual);
                    checkedCells++;
                }
            }
        }

        Assert.Equal(catalog.Roles.Count * catalog.Categories.Count * RoleMatrix.Actions.Count, checkedCells);
        JsonElement billing = matrix.GetProperty("roles").EnumerateArray().Single(r => r.GetProperty("role").GetString() == WellKnownRoles.Billing);
        Assert.Contains(billing.GetProperty("grants").EnumerateArray(), g => g.GetProperty("category").GetString() == "Claim" && g.GetProperty("letters").GetString()!.Contains('R', StringComparison.Ordinal));
        Assert.DoesNotContain(billing.GetProperty("grants").EnumerateArray(), g => g.GetProperty("category").GetString() == "PsychotherapyNote");
    }

    [Fact]
    public void Safeguards_Markdown_NamesPlaintextPhiAndTheMatrix()
    {
        CliRun run = CliRun.Of("report", "safeguards", "--assembly", ClinicTrail.AssemblyPath, "--context", "ClinicDb");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.StartsWith("# Safeguards inventory: Hipaa.Cli.ClinicDriver.dll", run.Output, StringComparison.Ordinal);
        Assert.Contains("| ClinicPatient | Mrn | Mrn | String | Demographics | yes | patient | yes (blind index) | - |", run.Output, StringComparison.Ordinal);
        Assert.Contains("Claim.Amount, Claim.DiagnosisCode, ClinicPatient.State, ProgressNote.VisitedAt", run.Output, StringComparison.Ordinal);
        Assert.Contains("| PsychotherapyNote | PsychotherapyNotes | PsychotherapyNote | PSY | per patient (PatientId) | yes | yes | Text |", run.Output, StringComparison.Ordinal);
        Assert.Contains("## Role matrix (the policy engine's default catalog)", run.Output, StringComparison.Ordinal);
        Assert.Contains("check that none holds PHI: ClinicSetting.", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("| ClinicSetting |", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Safeguards_UnknownContext_ExitsTwoAndListsTheContexts()
    {
        CliRun run = CliRun.Of("report", "safeguards", "--assembly", ClinicTrail.AssemblyPath, "--context", "BillingDb");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("has no DbContext named 'BillingDb'; it has: Hipaa.Cli.ClinicDriver.ClinicDb.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Safeguards_MissingOrUnreadableAssembly_ExitsTwoWithTheReason()
    {
        string file = Path.Combine(Path.GetTempPath(), "hipaa-cli-garbage-" + Guid.NewGuid().ToString("N") + ".dll");
        File.WriteAllText(file, "MZ but not really");
        try
        {
            CliRun garbage = CliRun.Of("report", "safeguards", "--assembly", file);
            CliRun missing = CliRun.Of("report", "safeguards", "--assembly", file + ".missing");
            CliRun noContexts = CliRun.Of("report", "safeguards", "--assembly", typeof(RoleCatalog).Assembly.Location);

            Assert.Equal((2, 2, 2), (garbage.ExitCode, missing.ExitCode, noContexts.ExitCode));
            Assert.Contains("is not a .NET assembly", garbage.Error, StringComparison.Ordinal);
            Assert.Contains("does not exist", missing.Error, StringComparison.Ordinal);
            Assert.Contains("defines no DbContext type", noContexts.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string Describe(JsonElement property) =>
        $"{property.GetProperty("name").GetString()} {(property.GetProperty("encrypted").GetBoolean() ? property.GetProperty("keyScope").GetString() : property.GetProperty("role").GetString() ?? "-")} {(property.GetProperty("encrypted").GetBoolean() ? "encrypted" : "plain")}{(property.GetProperty("searchable").GetBoolean() ? " searchable" : string.Empty)}";
}
