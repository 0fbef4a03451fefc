using Hipaa.Policy;
using Hipaa.Samples.Clinic.Seed;

namespace Hipaa.Samples.Clinic.Tests;

public sealed class ClinicSeedTests
{
    [Fact]
    public void Default_Staff_IsFifteenPeopleWithEveryRoleOfThePractice()
    {
        IReadOnlyList<StaffMember> staff = ClinicSeed.Default.Staff;
        Assert.Equal(15, staff.Count);
        Assert.Equal(staff.Count, staff.Select(s => s.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(
            new[] { WellKnownRoles.Billing, WellKnownRoles.ClinicalSupervisor, WellKnownRoles.ComplianceOfficer, WellKnownRoles.FrontDesk, WellKnownRoles.Nurse, WellKnownRoles.Psychiatrist, WellKnownRoles.Therapist },
            staff.Select(s => s.Role).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Default_Patients_AreTheSameOnEveryRunAndEachHasATherapistWhoTreatsThem()
    {
        Assert.Equal(36, ClinicSeed.Default.Patients.Count);
        Assert.Equal(Guid.Parse("5eed0000-0000-4000-8000-000000000001"), ClinicSeed.Default.Ada.Id);
        Assert.All(ClinicSeed.Default.Patients, p => Assert.Contains(p.PatientId, ClinicSeed.Default.CareTeamOf(p.TherapistId)));
        Assert.Empty(ClinicSeed.Default.CareTeamOf("u-bill-1"));
        Assert.DoesNotContain(ClinicSeed.Default.Ben.PatientId, ClinicSeed.Default.CareTeamOf("u-ther-1"));
    }

    [Fact]
    public void Parse_OptionWithoutAValue_FailsNamingTheOptionAndAnExample()
    {
        ArgumentException failure = Assert.Throws<ArgumentException>(() => ClinicSettings.Parse(["--data"]));
        Assert.Contains("--data needs a value", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DataAndUrls_AreTakenAndTheRestLeftForTheHost()
    {
        ClinicSettings settings = ClinicSettings.Parse(["--data", "/tmp/x", "--urls", "http://127.0.0.1:0", "--other"]);
        Assert.Equal("/tmp/x", settings.DataDirectory);
        Assert.Equal("http://127.0.0.1:0", settings.Urls);
        Assert.Equal(["--other"], settings.RemainingArguments);
        Assert.Equal("Data Source=/tmp/x/clinic.db", settings.ClinicConnectionString);
    }
}
