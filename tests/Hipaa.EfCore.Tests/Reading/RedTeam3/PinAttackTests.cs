using Hipaa.Auditing;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam3;

/// <summary>
/// An aggregate pinned to patients by its predicate is decided (and recorded) for those patients only, so a pin must cover
/// every row the aggregate reads. Two shapes faked one: a navigation to another row of the same table (a resident's
/// guardian is another patient), and a string's <c>Contains</c> (a substring test in SQL, not a list of ids).
/// </summary>
public abstract class PinAttackTests(string provider) : WardFixture(provider)
{
    [Fact]
    public async Task PinnedAggregate_ThroughANavigationToTheGuardian_IsNotDecidedForTheChildAlone()
    {
        using var host = Enforcing();
        string? name = null;
        var reads = await ReadAsync(
            host,
            TherapistOfChild,
            db => Assert.ThrowsAsync<PhiAccessDeniedException>(async () => name = await db.Residents.Where(r => r.Id == Child).MaxAsync(r => r.Guardian!.Name)),
            denied => Assert.Equal("matrix.care-team-required", denied.Decision!.Rule.Id));

        Assert.Null(name); // the guardian's name, which the therapist (not on the guardian's care team) may not read
        var denial = Assert.Single(reads);
        Assert.Equal((AuditOutcome.Denied, null), (denial.Outcome, denial.PatientId));
    }

    [Fact]
    public async Task PinnedAggregate_ThroughANavigation_IsRecordedUnattributedNotAgainstThePinnedPatient()
    {
        // Without enforcement the read runs: its record must not say that only the child's data was read.
        using var host = new WardHost(Database, enforcement: null);
        var reads = await ReadAsync(host, TherapistOfChild, db => db.Residents.Where(r => r.Id == Child).MaxAsync(r => r.Guardian!.Name), name => Assert.Equal("Gail Guardian", name));

        Assert.Equal([(AuditAction.Read, null)], reads.Select(r => (r.Action, r.PatientId)));
    }

    [Fact]
    public async Task PinnedAggregate_OverTheChildsOwnedAddress_IsStillDecidedAndRecordedForTheChild()
    {
        using var host = Enforcing();
        var reads = await ReadAsync(host, TherapistOfChild, db => db.Residents.Where(r => r.Id == Child).MaxAsync(r => r.Home!.Street), street => Assert.Equal("9 Secret Lane", street));

        Assert.Equal([(Child.ToString(), AuditOutcome.Success)], reads.Select(r => (r.PatientId!, r.Outcome)));
    }

    [Fact]
    public async Task PinnedAggregate_ByAStringContainingTheMrn_IsNotDecidedForThatStringsPatient()
    {
        // "mrn-10".Contains(n.Mrn) is true for mrn-1's notes too: the pin named mrn-10, the therapist's patient, and the
        // count of mrn-1's notes mentioning an overdose came back.
        using var host = Enforcing();
        var mine = "mrn-10";
        int? count = null;
        var reads = await ReadAsync(
            host,
            TherapistOfMrn10,
            db => Assert.ThrowsAsync<PhiAccessDeniedException>(async () => count = await db.CaseNotes.CountAsync(n => mine.Contains(n.Mrn) && n.Text.Contains("overdose"))),
            _ => { });

        Assert.Null(count);
        Assert.Equal((AuditOutcome.Denied, null), (Assert.Single(reads).Outcome, Assert.Single(reads).PatientId));
    }

    [Fact]
    public async Task PinnedAggregate_ByAListOfMrns_IsStillDecidedForThoseMrns()
    {
        using var host = Enforcing();
        string[] mine = ["mrn-10"];
        var reads = await ReadAsync(host, TherapistOfMrn10, db => db.CaseNotes.CountAsync(n => mine.Contains(n.Mrn) && n.Text.Contains("slept")), count => Assert.Equal(1, count));

        Assert.Equal([("mrn-10", AuditOutcome.Success)], reads.Select(r => (r.PatientId!, r.Outcome)));
    }
}

public sealed class SqlitePinAttackTests() : PinAttackTests("sqlite");

public sealed class PostgresPinAttackTests() : PinAttackTests("postgres");
