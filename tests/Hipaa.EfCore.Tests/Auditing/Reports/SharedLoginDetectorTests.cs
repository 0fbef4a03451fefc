using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Hipaa.EfCore.Auditing.Reports;

namespace Hipaa.EfCore.Tests.Auditing.Reports;

/// <summary>
/// The shared-login detector over recorded sessions: several people working at once under one user id are flagged, one
/// person moving between machines is not.
/// </summary>
public sealed class SharedLoginDetectorTests
{
    private static readonly DateTimeOffset Morning = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Findings_ThreeCliniciansSharingOneLoginAtThreeWorkstations_AreOneFindingNamingEveryWorkstation()
    {
        var detector = new SharedLoginDetector(new SharedLoginDetectionOptions());
        Feed(
            detector,
            Session("u-shared", "10.0.0.5", "ehr-web", At(0), At(240), every: 3),
            Session("u-shared", "10.0.0.6", "ehr-web", At(30), At(210), every: 4),
            Session("u-shared", "10.0.0.7", "ehr-web", At(60), At(120), every: 2));

        var finding = Assert.Single(detector.Findings());
        Assert.Equal(("u-shared", SharedLoginFindingKind.SeveralAddresses), (finding.ActorId, finding.Kind));
        Assert.Equal(["10.0.0.5", "10.0.0.6", "10.0.0.7"], finding.Places.Select(p => p.ClientAddress).Order());
        Assert.Equal(At(30), finding.From);
        Assert.Equal(At(210), finding.To);
        Assert.Equal(61, finding.Places.Single(p => p.ClientAddress == "10.0.0.5").Accesses); // 08:30 … 11:30, every 3 minutes
        Assert.Equal(46, finding.Places.Single(p => p.ClientAddress == "10.0.0.6").Accesses);
        Assert.Equal(31, finding.Places.Single(p => p.ClientAddress == "10.0.0.7").Accesses);
        Assert.Contains("u-shared was active from 3 client addresses at once from 2026-03-02 08:30:00 to 2026-03-02 11:30:00 UTC", finding.Explanation, StringComparison.Ordinal);
        Assert.Contains("10.0.0.5 via ehr-web: 61 accesses", finding.Explanation, StringComparison.Ordinal);
        Assert.EndsWith("a shared login (45 CFR 164.312(a)(2)(i), unique user identification) or a stolen credential.", finding.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Findings_OneUserMovingBetweenTwoMachinesAndBack_AreNone()
    {
        var detector = new SharedLoginDetector(new SharedLoginDetectionOptions());
        Feed(
            detector,
            Session("u-mover", "10.0.0.5", "ehr-web", At(0), At(120), every: 2),
            Session("u-mover", "10.0.0.9", "ehr-web", At(123), At(240), every: 2),
            Session("u-mover", "10.0.0.5", "ehr-web", At(300), At(360), every: 2));

        Assert.Empty(detector.Findings());
    }

    [Fact]
    public void Findings_AStrayAccessAtTheFirstMachineJustAfterMoving_IsNotAFinding_ButIsWithAZeroOverlap()
    {
        var accesses = new[]
        {
            Session("u-mover", "10.0.0.5", "ehr-web", At(0), At(60), every: 2),
            Session("u-mover", "10.0.0.9", "ehr-web", At(61), At(120), every: 2),
            Session("u-mover", "10.0.0.5", "ehr-web", At(63), At(63), every: 1), // two minutes after moving
        };
        var lenient = new SharedLoginDetector(new SharedLoginDetectionOptions());
        Feed(lenient, accesses);
        var strict = new SharedLoginDetector(new SharedLoginDetectionOptions { MinimumOverlap = TimeSpan.Zero });
        Feed(strict, accesses);

        Assert.Empty(lenient.Findings());
        var finding = Assert.Single(strict.Findings());
        Assert.Equal((At(61), At(63)), (finding.From, finding.To));
    }

    [Fact]
    public void Findings_OneAddressThroughTwoApplicationsAtOnce_AreSeveralApplications()
    {
        var detector = new SharedLoginDetector(new SharedLoginDetectionOptions());
        Feed(
            detector,
            Session("u-app", "10.0.0.5", "ehr-web", At(0), At(60), every: 1),
            Session("u-app", "10.0.0.5", "export-script", At(10), At(50), every: 1));

        var finding = Assert.Single(detector.Findings());
        Assert.Equal(SharedLoginFindingKind.SeveralApplications, finding.Kind);
        Assert.Contains("2 client applications on one address at once", finding.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Findings_DifferentUsersAtTheSameWorkstationsAtOnce_AreNone()
    {
        var detector = new SharedLoginDetector(new SharedLoginDetectionOptions());
        Feed(
            detector,
            Session("u-ther-1", "10.0.0.5", "ehr-web", At(0), At(120), every: 2),
            Session("u-ther-2", "10.0.0.6", "ehr-web", At(0), At(120), every: 2),
            Session("u-ther-3", "10.0.0.5", "ehr-web", At(0), At(120), every: 3));

        Assert.Empty(detector.Findings());
    }

    [Fact]
    public void Findings_AccessesSeparatedByMoreThanTheIdleTimeout_AreSeparateSessions()
    {
        // At 10.0.0.6 from 08:30 to 10:30; at 10.0.0.5 from 08:00 to 08:10 and then once an hour. With the default 15-minute
        // idle timeout each hourly access is a session of its own, overlapping 10.0.0.6's for no time at all; with 4 hours
        // they are one session at 10.0.0.5 that spans 10.0.0.6's, with two accesses inside it.
        var accesses = new[]
        {
            Session("u-1", "10.0.0.5", null, At(0), At(10), every: 1),
            Session("u-1", "10.0.0.6", null, At(30), At(150), every: 5),
            Session("u-1", "10.0.0.5", null, At(60), At(180), every: 60),
        };
        var defaults = new SharedLoginDetector(new SharedLoginDetectionOptions());
        Feed(defaults, accesses);
        var long_ = new SharedLoginDetector(new SharedLoginDetectionOptions { IdleTimeout = TimeSpan.FromHours(4) });
        Feed(long_, accesses);

        Assert.Empty(defaults.Findings());
        var finding = Assert.Single(long_.Findings());
        Assert.Equal((At(30), At(150), 2), (finding.From, finding.To, finding.Places.Single(p => p.ClientAddress == "10.0.0.5").Accesses));
    }

    [Fact]
    public void Findings_UserAwayFromTheFirstMachineWhileAtTheSecond_AreNone_EvenInOneLongSession()
    {
        // 10.0.0.5 from 08:00 to 08:10 and again at 11:00, 10.0.0.6 from 08:30 to 10:30: with a 4-hour idle timeout the
        // first machine's session spans the second's, but no access of it falls inside: the user moved, and came back.
        var detector = new SharedLoginDetector(new SharedLoginDetectionOptions { IdleTimeout = TimeSpan.FromHours(4) });
        Feed(
            detector,
            Session("u-1", "10.0.0.5", null, At(0), At(10), every: 1),
            Session("u-1", "10.0.0.6", null, At(30), At(150), every: 5),
            Session("u-1", "10.0.0.5", null, At(180), At(181), every: 1));

        Assert.Empty(detector.Findings());
    }

    [Fact]
    public void Add_AccessEarlierThanTheUsersLast_IsRefusedNamingTheUser()
    {
        var detector = new SharedLoginDetector(new SharedLoginDetectionOptions());
        detector.Add("u-1", At(10), "10.0.0.5", null);
        detector.Add("u-2", At(5), "10.0.0.5", null); // another user: fine

        var refused = Assert.Throws<ArgumentException>(() => detector.Add("u-1", At(9), "10.0.0.5", null));
        Assert.Contains("u-1", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 0, "IdleTimeout")]
    [InlineData(60 * 25, 5, "IdleTimeout")]
    [InlineData(15, -1, "MinimumOverlap")]
    [InlineData(15, 16, "MinimumOverlap")]
    public void Options_OutOfRange_AreRefusedNamingTheWindow(int idleMinutes, int overlapMinutes, string window)
    {
        var options = new SharedLoginDetectionOptions { IdleTimeout = TimeSpan.FromMinutes(idleMinutes), MinimumOverlap = TimeSpan.FromMinutes(overlapMinutes) };

        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => new SharedLoginDetector(options));
        Assert.Equal(window, refused.ParamName);
    }

    [Property(MaxTest = 300)]
    public Property Findings_OfAUserSeenFromOnePlaceOnly_AreNone_WhateverOthersDo() =>
        Prop.ForAll(
            (from own in Gen.ListOf(Gen.Choose(0, 600))
             from others in Gen.ListOf(from minute in Gen.Choose(0, 600)
                                      from place in Gen.Elements("10.0.0.5", "10.0.0.6", "10.0.0.7")
                                      select (minute, place))
             select (own, others)).ToArbitrary(),
            generated =>
            {
                var detector = new SharedLoginDetector(new SharedLoginDetectionOptions { MinimumOverlap = TimeSpan.Zero });
                var all = generated.own.Select(m => ("u-alone", m, "10.0.0.5"))
                    .Concat(generated.others.Select(o => ("u-other", o.minute, o.place)))
                    .OrderBy(a => a.Item2);
                foreach (var (actor, minute, place) in all)
                {
                    detector.Add(actor, At(minute), place, "ehr-web");
                }

                Assert.DoesNotContain(detector.Findings(), f => f.ActorId == "u-alone");
            });

    [Property(MaxTest = 300)]
    public Property Findings_OfAUser_DoNotDependOnOtherUsersAccesses() =>
        Prop.ForAll(
            (from own in Gen.ListOf(from minute in Gen.Choose(0, 300) from place in Gen.Elements("10.0.0.5", "10.0.0.6") select (minute, place))
             from others in Gen.ListOf(from minute in Gen.Choose(0, 300) from place in Gen.Elements("10.0.0.5", "10.0.0.6") select (minute, place))
             select (own, others)).ToArbitrary(),
            generated =>
            {
                var alone = new SharedLoginDetector(new SharedLoginDetectionOptions());
                foreach (var (minute, place) in generated.own.OrderBy(a => a.minute))
                {
                    alone.Add("u-1", At(minute), place, null);
                }

                var together = new SharedLoginDetector(new SharedLoginDetectionOptions());
                var all = generated.own.Select(a => ("u-1", a.minute, a.place)).Concat(generated.others.Select(a => ("u-2", a.minute, a.place))).OrderBy(a => a.Item2);
                foreach (var (actor, minute, place) in all)
                {
                    together.Add(actor, At(minute), place, null);
                }

                Assert.Equal(alone.Findings().Select(f => f.Explanation), together.Findings().Where(f => f.ActorId == "u-1").Select(f => f.Explanation));
            });

    private static DateTimeOffset At(int minutes) => Morning.AddMinutes(minutes);

    private static IEnumerable<(string Actor, DateTimeOffset At, string Address, string? Application)> Session(string actor, string address, string? application, DateTimeOffset from, DateTimeOffset to, int every)
    {
        for (var at = from; at <= to; at = at.AddMinutes(every))
        {
            yield return (actor, at, address, application);
        }
    }

    private static void Feed(SharedLoginDetector detector, params IEnumerable<(string Actor, DateTimeOffset At, string Address, string? Application)>[] sessions)
    {
        foreach (var access in sessions.SelectMany(s => s).OrderBy(a => a.At))
        {
            detector.Add(access.Actor, access.At, access.Address, access.Application);
        }
    }
}
