using Hipaa.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Hipaa.EfCore.Tests.Enforcement;

/// <summary>A practice changes the default matrix through configuration; every problem fails start-up.</summary>
public sealed class PolicyConfigurationTests : IDisposable
{
    private readonly TestDatabase _database = TestDatabase.Create("sqlite");

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task AddPolicyEnforcement_ConfigurationGrantsTherapistsPrescriptions_TheyAreReadable()
    {
        var patient = Guid.NewGuid();
        using (var seed = new AuditHost(_database))
        using (AccessContext.Begin(AccessContext.ForSystem("seed", PurposeOfUse.Operations)))
        await using (var context = seed.CreateContext())
        {
            context.Add(new Prescription { Id = Guid.NewGuid(), PatientId = patient, Drug = "sertraline", Dose = "50 mg" });
            await context.SaveChangesAsync();
        }

        var configuration = Configuration(new()
        {
            ["Changes:Grant:0:Role"] = "Therapist",
            ["Changes:Grant:0:Category"] = "Medication",
            ["Changes:Grant:0:Actions:0"] = "Read",
            ["DeniedReadsByCategory:PsychotherapyNote"] = "Throw",
        });
        using var host = new AuditHost(_database, policyConfiguration: configuration);
        using (AccessContext.Begin(AuditHost.Therapist("u-ther-1", patient.ToString())))
        await using (var context = host.CreateContext())
        {
            Assert.Equal("sertraline", (await context.Prescriptions.SingleAsync()).Drug);
        }
    }

    [Fact]
    public void AddPolicyEnforcement_ConfigurationWithMistakes_FailsAtStartUpListingEachOne()
    {
        var configuration = Configuration(new()
        {
            ["Changes:Grant:0:Role"] = "Therapist",
            ["Changes:Grant:0:Category"] = "Medication",
            ["Changes:Grant:0:Actions:0"] = "Fly",
            ["Changes:AllowPurposes:0:Role"] = "",
            ["Changes:AllowPurposes:0:Purpose"] = "HTRAIN",
        });

        var failure = Assert.Throws<OptionsValidationException>(() => new AuditHost(_database, policyConfiguration: configuration));
        Assert.Contains(failure.Failures, f => f.Contains("'Fly'", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("AllowPurposes[0]", StringComparison.Ordinal));
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
